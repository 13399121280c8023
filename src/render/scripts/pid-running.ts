/**
 * Pid liveness in remote scripts, written once: the shell function `running PID` succeeds while the
 * process runs; a zombie (exited, not yet reaped) counts as gone. The stop and observe scripts define
 * it with this line; src/transport/pid.ts is the same check in TypeScript, for this machine.
 */
export const PID_RUNNING_FN =
  'running() { [ -d "/proc/$1" ] && ! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null; }';
