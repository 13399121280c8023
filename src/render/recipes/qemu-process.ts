/**
 * Starting and stopping a VM's QEMU on a host, as remote scripts, and the check that a started
 * QEMU runs. Start: a private VM directory, stale sockets and pid files removed, the rendered argv
 * started detached (-daemonize -pidfile), its pid read back, in one round trip. Stop: SIGTERM,
 * wait, then SIGKILL (a wedged QEMU ignores SIGTERM), confirm it is gone, remove its sockets.
 */
import { PID_RUNNING_FN } from '../scripts/transport-scripts.ts';
import type { Spec, VmSpec } from '../../spec/types.ts';
import { hostOf, joinPath, socketPaths, vmPaths } from '../paths.ts';
import { optValue } from '../qemu-syntax.ts';
import { cmd, eq, not, query, ref } from './build.ts';
import type { QemuRole, QmpRecipe, ScriptRecipe } from './types.ts';

/**
 * Fixed script: $1 pid file, $2 grace seconds, $3 the VM's `-name`, then sockets to remove. Prints
 * "gone" or "alive PIDS". Which processes are this VM's QEMU is decided by what colo gave it, not by
 * the pid file alone (a tmp cleaner, a changed workDir or a stale file must never count a running
 * QEMU as stopped): the pid in the pid file when its cmdline carries `-pidfile PF`, and every process
 * whose cmdline carries `-pidfile PF`, or colo's `-name NAME` together with a `-pidfile`.
 */
export const STOP_SCRIPT = [
  'pf="$1"; grace="$2"; name="$3"; shift 3',
  // a zombie (exited, not yet reaped) counts as gone
  PID_RUNNING_FN,
  // $1 = pid: its argv (NUL-separated in /proc) has "-pidfile" "$pf". Not the -name alone: on one machine
  // (the lab, or two colo hosts sharing a kernel) the other host's QEMU of the same VM carries it too.
  'ours() { [ "$1" != "$$" ] && [ -r "/proc/$1/cmdline" ] && tr "\\0" "\\n" < "/proc/$1/cmdline" 2>/dev/null |' +
    ' PF="$pf" awk \'p == "-pidfile" && $0 == ENVIRON["PF"] { f = 1 } { p = $0 } END { exit !f }\'; }',
  'pids=""',
  'add() { case " $pids " in *" $1 "*) ;; *) pids="$pids $1" ;; esac; }',
  'if [ -r "$pf" ]; then pid=$(tr -dc 0-9 < "$pf"); [ -n "$pid" ] && ours "$pid" && add "$pid"; fi',
  // candidates: processes with an argument equal to the pid file (one grep), then the exact check
  'for c in $(grep -lzxF -e "$pf" /proc/[0-9]*/cmdline 2>/dev/null); do',
  '  p=${c#/proc/}; p=${p%/cmdline}; ours "$p" && running "$p" && add "$p"',
  'done',
  'alive() { for p in $pids; do running "$p" && return 0; done; return 1; }',
  '[ -z "$pids" ] || kill -TERM $pids 2>/dev/null',
  'i=0; while alive && [ $i -lt $((grace * 10)) ]; do sleep 0.1; i=$((i + 1)); done',
  'if alive; then kill -KILL $pids 2>/dev/null; i=0; while alive && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); ' +
    'done; fi',
  // then the unix sockets a killed QEMU leaves behind (the remaining arguments)
  'if alive; then echo "alive$pids"; else rm -f "$pf" "$@"; echo gone; fi',
].join('\n');

export function renderQemuStart(spec: Spec, vm: VmSpec, host: string, role: QemuRole, argv: string[]): ScriptRecipe {
  const paths = vmPaths(spec, vm, host);
  const stale = [paths.pidFile, paths.consoleLog, ...socketPaths(paths)];
  return {
    kind: 'script',
    name: `${role}-qemu-start`,
    summary: `the ${role} QEMU started detached (umask 077) in its private VM directory; prints its pid`,
    host,
    body: {
      kind: 'batch',
      commands: [
        // QEMU creates its log, console log, pid file and sockets under this umask: private to the user
        ['umask', '077'],
        ['mkdir', '-p', '-m', '0700', paths.dir],
        ['chmod', '0700', paths.dir],
        ['rm', '-f', ...stale],
        argv,
        ['cat', paths.pidFile],
      ],
    },
    timeoutMs: 60_000,
    outcome: { kind: 'output' },
  };
}

/** The last lines of QEMU's own log (-D), read when a start failed (with -daemonize QEMU's words go there). */
export function renderQemuLogTail(spec: Spec, vm: VmSpec, host: string): ScriptRecipe {
  return {
    kind: 'script',
    name: 'qemu-log-tail',
    summary: "the end of QEMU's log, read only when the start failed",
    host,
    body: { kind: 'exec', argv: ['tail', '-n', '5', vmPaths(spec, vm, host).qemuLog] },
    timeoutMs: 5_000,
    outcome: { kind: 'output' },
  };
}

/** The QEMU runs; otherwise fails with "<before><its status><after>". */
export function renderQemuRunningCheck(
  vm: VmSpec,
  host: string,
  role: QemuRole,
  message: { before: string; after: string },
): QmpRecipe {
  const status = ref('status', 'status');
  return {
    kind: 'qmp',
    name: `${role}-running`,
    summary: `the ${role} QEMU runs`,
    vm: vm.name,
    role,
    hosts: { [role]: host },
    ops: [
      {
        op: 'check',
        queries: [query('status', cmd('query-status'))],
        fail: [{ when: not(eq(status, 'running')), message: [message.before, { value: status }, message.after] }],
      },
    ],
  };
}

/**
 * Stop the QEMU of a VM on a host. `vm` may be a VM only the state knows (removed from the spec):
 * its files follow the same layout, and no sockets are named.
 */
export function renderQemuStop(
  spec: Spec,
  vm: VmSpec | { name: string },
  host: string,
  graceSeconds: number,
): ScriptRecipe {
  const known = 'disks' in vm;
  const pidFile = known
    ? vmPaths(spec, vm, host).pidFile
    : joinPath(joinPath(hostOf(spec, host).workDir, vm.name), 'qemu.pid');
  const sockets = known ? socketPaths(vmPaths(spec, vm, host)) : [];
  return {
    kind: 'script',
    name: 'qemu-stop',
    summary: `SIGTERM, ${graceSeconds} s, then SIGKILL; its pid file and sockets removed; prints "gone"`,
    host,
    body: {
      kind: 'script',
      name: 'colo-stop',
      text: STOP_SCRIPT,
      args: [pidFile, String(graceSeconds), optValue(vm.name), ...sockets],
    },
    timeoutMs: (graceSeconds + 10) * 1000,
    outcome: {
      kind: 'expect',
      stdoutIncludes: 'gone',
      failure: `could not stop the QEMU of ${vm.name} on ${host} (pid file ${pidFile})`,
    },
  };
}
