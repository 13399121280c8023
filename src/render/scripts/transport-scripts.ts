/**
 * The fixed shell scripts the ssh transport runs on a host, as constant data. Every value reaches
 * them as a positional parameter (`sh -c SCRIPT NAME ARG...`), never pasted into their text.
 */

/** Wraps every command: report our pid on stderr (PID_MARKER), then become the program. */
export const RUN_WRAPPER = `printf '\\001colo-pid=%s\\n' "$$" >&2; exec "$@"`;

/** The line RUN_WRAPPER writes first on stderr; the transport removes it from the result. */
export const PID_MARKER = /\u0001colo-pid=(\d+)\n/;

/** $1 = pid: SIGKILL its process group if it leads one (its own, created by sshd's setsid), else just it. */
export const KILL_SCRIPT = [
  'pg=$(sed -n "s/^.*) [A-Za-z] [0-9]* \\([0-9]*\\) .*$/\\1/p" "/proc/$1/stat" 2>/dev/null) || pg=',
  // POSIX form: dash's kill rejects `-KILL --`
  'if [ "$pg" = "$1" ]; then kill -s KILL -- "-$1"; else kill -s KILL "$1"; fi 2>/dev/null',
  'exit 0',
].join('\n');

/** Atomic write: $1 = path, $2 = octal mode; data on stdin. */
export const WRITE_SCRIPT = [
  'set -e',
  'umask 077',
  'tmp=$(mktemp "$1.colo-tmp.XXXXXX")',
  `trap 'rm -f "$tmp"' EXIT`,
  'cat > "$tmp"',
  'chmod "$2" "$tmp"',
  'mv -f "$tmp" "$1"',
  'trap - EXIT',
].join('\n');

/**
 * Pid liveness in remote scripts, written once: the shell function `running PID` succeeds while the
 * process runs; a zombie (exited, not yet reaped) counts as gone. A script defines it with this line
 * (the stop and observe scripts should, instead of their own checks; src/transport/pid.ts is the same
 * check in TypeScript, for this machine).
 */
export const PID_RUNNING_FN =
  'running() { [ -d "/proc/$1" ] && ! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null; }';
