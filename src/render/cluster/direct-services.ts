/**
 * Starting, stopping and probing corosync and Pacemaker on a host without systemd (the spec's
 * `cluster.services: direct`; the netns lab writes it): one fixed script, as data, that apply runs
 * over SSH like any other recipe. `start` runs `corosync -f` and then `pacemakerd` detached (setsid,
 * stdio to their log directories, each pid in /run/colo-cluster/NAME.pid) and waits until each
 * answers on its IPC; `stop` stops pacemakerd (which stops its resources and daemons) and then
 * corosync, by pid, and waits until they are gone; `status` prints one `NAME=STATE pid=PID` line per
 * daemon. A daemon counts as running only when it answers (corosync-cfgtool -s; crmadmin -P saying
 * "Pacemaker is running", which pacemakerd says once its daemons are up): a pid
 * file, even with a live process of that name, is not proof (a wedged daemon is "unresponsive").
 *
 * Values reach the script only as positional parameters ($1 action, $2 start timeout s, $3 stop
 * timeout s). Pure.
 */
import type { ScriptRecipe } from '../recipes/types.ts';

/** Where the pid files live: the host's /run (a tmpfs, gone with a reboot as the daemons are). */
export const CLUSTER_PID_DIR = '/run/colo-cluster';

export type DirectAction = 'start' | 'stop' | 'status';

/** States `status` prints per daemon. */
export type DirectDaemonState = 'running' | 'unresponsive' | 'stopped';

export const DIRECT_SERVICES_SCRIPT = [
  'set -u',
  'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
  `act=$1; up=$2; down=$3; d=${CLUSTER_PID_DIR}`,
  // the pid of NAME from its pid file when that process runs NAME
  'pidof_() { f="$d/$1.pid"; [ -r "$f" ] || return 1; p=$(cat "$f"); case "$p" in ""|*[!0-9]*) return 1;; esac',
  '  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] || return 1; echo "$p"; }',
  'answers() { case $1 in',
  '  corosync) corosync-cfgtool -s >/dev/null 2>&1;;',
  '  pacemakerd) crmadmin -P -t 2s 2>/dev/null | grep -q "Pacemaker is running";;',
  '  esac; }',
  'state() { if answers "$1"; then echo running; elif pidof_ "$1" >/dev/null; then echo unresponsive; ' +
    'else echo stopped; fi; }',
  // waits up to $2 s (in 0.1 s steps) for `answers NAME`; fails early when the process it started died
  'await() { n=0; while [ $n -lt $(($2 * 10)) ]; do answers "$1" && return 0; [ -n "${3:-}" ] && ' +
    '! kill -0 "$3" 2>/dev/null && return 1; sleep 0.1; n=$((n + 1)); done; return 1; }',
  'gone() { n=0; while [ $n -lt $(($2 * 10)) ]; do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; ' +
    'n=$((n + 1)); done; return 1; }',
  'tail_() { [ -r "$1" ] && tail -n 5 "$1" | sed "s/^/  /" >&2; true; }',
  'launch() { name=$1; log=$2; shift 2',
  '  if answers "$name"; then echo "$name=running already"; return 0; fi',
  '  if p=$(pidof_ "$name"); then echo "$name (pid $p) runs but does not answer: stop it first" >&2; return 1; fi',
  '  setsid "$@" </dev/null >>"$log" 2>&1 &',
  '  p=$!; echo "$p" > "$d/$name.pid"',
  '  if await "$name" "$up" "$p"; then echo "$name=started pid=$p"; return 0; fi',
  '  echo "$name did not answer within ${up}s (log $log):" >&2; tail_ "$log"; return 1; }',
  'halt() { name=$1',
  '  p=$(pidof_ "$name") || { answers "$name" && { echo "$name runs but colo did not start it (no pid file in ' +
    '$d): stop it the way it was started" >&2; return 1; }; echo "$name=stopped"; rm -f "$d/$name.pid"; return 0; }',
  '  kill -TERM "$p" 2>/dev/null',
  '  if gone "$p" "$down"; then rm -f "$d/$name.pid"; echo "$name=stopped pid=$p"; return 0; fi',
  '  echo "$name (pid $p) did not stop within ${down}s of SIGTERM" >&2; return 1; }',
  'case $act in',
  'start)',
  '  mkdir -p -m 0755 "$d" /var/log/cluster /var/log/pacemaker || exit 1',
  '  if id hacluster >/dev/null 2>&1 && [ ! -d /run/crm ]; then mkdir -p -m 0750 /run/crm && ' +
    'chown hacluster:haclient /run/crm; fi',
  '  [ -r /etc/corosync/corosync.conf ] || { echo "no /etc/corosync/corosync.conf on this host" >&2; exit 1; }',
  '  launch corosync /var/log/cluster/corosync.stdout corosync -f || exit 1',
  '  PCMK_logfacility=none PCMK_logfile=/var/log/pacemaker/pacemaker.log; export PCMK_logfacility PCMK_logfile',
  '  launch pacemakerd /var/log/pacemaker/pacemakerd.stdout pacemakerd || exit 1;;',
  'stop) halt pacemakerd || exit 1; halt corosync || exit 1;;',
  'status) for n in corosync pacemakerd; do echo "$n=$(state $n) pid=$(pidof_ $n || echo -)"; done;;',
  '*) echo "unknown action $act (start, stop or status)" >&2; exit 2;;',
  'esac',
].join('\n');

export interface DirectServicesOptions {
  /** Seconds each daemon gets to answer after it was started (default 30). */
  startTimeoutS?: number;
  /** Seconds pacemakerd (stopping its resources) and then corosync each get after SIGTERM (default 120). */
  stopTimeoutS?: number;
}

/** The argv that runs `action` on a host (`sh -c SCRIPT colo-cluster-services ACTION UP DOWN`). */
export function directServicesArgv(action: DirectAction, o: DirectServicesOptions = {}): string[] {
  const up = o.startTimeoutS ?? 30;
  const down = o.stopTimeoutS ?? 120;
  for (const v of [up, down])
    if (!Number.isInteger(v) || v < 1 || v > 3600) throw new Error(`internal: timeout ${v} s is not 1..3600`);
  return ['sh', '-c', DIRECT_SERVICES_SCRIPT, 'colo-cluster-services', action, String(up), String(down)];
}

/** The recipe apply runs on `host` (its Transport has a slack beyond the script's own waits). */
export function renderDirectServices(host: string, action: DirectAction, o: DirectServicesOptions = {}): ScriptRecipe {
  const [, , text, name, ...args] = directServicesArgv(action, o);
  const up = o.startTimeoutS ?? 30;
  const down = o.stopTimeoutS ?? 120;
  const summary = {
    start: 'start corosync and pacemakerd (no systemd: detached, pid files in /run/colo-cluster)',
    stop: 'stop pacemakerd, then corosync (by pid)',
    status: 'whether corosync and pacemakerd run and answer',
  }[action];
  return {
    kind: 'script',
    name: `cluster-services-${action}`,
    summary,
    host,
    body: { kind: 'script', name: name ?? 'colo-cluster-services', text: text ?? '', args },
    timeoutMs: (action === 'start' ? 2 * up : action === 'stop' ? 2 * down : 5) * 1000 + 10_000,
    outcome: action === 'status' ? { kind: 'output' } : { kind: 'exit-zero' },
  };
}

export interface DirectStatus {
  corosync: { state: DirectDaemonState; pid?: number };
  pacemakerd: { state: DirectDaemonState; pid?: number };
}

/** Parses `status` output; throws on output the script does not print. */
export function parseDirectStatus(stdout: string): DirectStatus {
  const out: Partial<DirectStatus> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(corosync|pacemakerd)=(running|unresponsive|stopped) pid=(\d+|-)$/.exec(line.trim());
    if (!m) continue;
    const [, name, state, pid] = m as unknown as [string, 'corosync' | 'pacemakerd', DirectDaemonState, string];
    out[name] = pid === '-' ? { state } : { state, pid: Number(pid) };
  }
  if (!out.corosync || !out.pacemakerd) throw new Error(`unexpected cluster services status: ${stdout.trim()}`);
  return { corosync: out.corosync, pacemakerd: out.pacemakerd };
}
