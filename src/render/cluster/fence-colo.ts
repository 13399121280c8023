/**
 * fence_colo: the small stonith agent colo installs on every cluster host, so that the manual
 * failover path and the cluster's fencing share one definition, each host's `fence.command`.
 * Pacemaker's fenced runs it (`stonith:fence_colo`, found in /usr/sbin) with the fence-agents stdin
 * protocol: `key=value` lines (action, plug/port/nodename), or `-o ACTION -n PLUG` on the command
 * line. Actions: metadata (the XML below), monitor (every configured command's program can be run),
 * list (the hosts it can fence), status (only through a configured probe command: without one it
 * answers "unknown", exit 1, and never guesses from a pid file), off and reboot (run the target's
 * fence command: the host is powered off, not restarted; exit 0 only when the command says so), on
 * (refused: colo powers no host on). It refuses to fence the host it runs on.
 *
 * Per target host, one file `/etc/colo/fence/HOST.conf` (root, 0600: it holds the fence.envFile's
 * values) with `timeout=S`, one `arg=` line per argv word (run with no shell), one `env=KEY=VALUE`
 * line per environment variable (what src/engine/fence-env.ts gives the manual path) and optional
 * `status=` lines (a probe's argv: exit 0 on, 2 off). `/etc/colo/fence/self` names this host.
 * Every run is appended to /var/log/cluster/fence_colo.log (action, target, exit; never the env).
 *
 * Pure: the files as data; apply writes them with Transport.writeFile (no secret in any argv).
 */

export const FENCE_COLO_PATH = '/usr/sbin/fence_colo';
export const FENCE_COLO_CONF_DIR = '/etc/colo/fence';
export const FENCE_COLO_LOG = '/var/log/cluster/fence_colo.log';

const NAME = /^[A-Za-z0-9_.-]{1,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const FENCE_COLO_METADATA = [
  '<?xml version="1.0" ?>',
  '<resource-agent name="fence_colo" shortdesc="Fences a colo host by running its fence.command">',
  '<longdesc>Runs the fence.command of the colo spec for the target host (installed by colo apply in ' +
    `${FENCE_COLO_CONF_DIR}/HOST.conf), the same command colo failover runs on the manual path. off and reboot ` +
    'both power the host off; on is not supported.</longdesc>',
  '<vendor-url>https://colo.dev</vendor-url>',
  '<parameters>',
  '<parameter name="action" unique="0" required="1"><getopt mixed="-o, --action=[action]"/>' +
    '<content type="string" default="reboot"/><shortdesc lang="en">Fencing action</shortdesc></parameter>',
  '<parameter name="plug" unique="0" required="1" obsoletes="port"><getopt mixed="-n, --plug=[host]"/>' +
    '<content type="string"/><shortdesc lang="en">The colo host to fence</shortdesc></parameter>',
  '<parameter name="port" unique="0" required="0" deprecated="1"><getopt mixed="-n, --plug=[host]"/>' +
    '<content type="string"/><shortdesc lang="en">The colo host to fence</shortdesc></parameter>',
  '</parameters>',
  '<actions>',
  '<action name="off"/>',
  '<action name="reboot"/>',
  '<action name="on" automatic="0"/>',
  '<action name="status"/>',
  '<action name="monitor"/>',
  '<action name="list"/>',
  '<action name="metadata"/>',
  '</actions>',
  '</resource-agent>',
].join('\n');

export const FENCE_COLO_AGENT = [
  '#!/bin/sh',
  "# fence_colo, installed by colo: runs a colo host's fence.command (see the metadata action).",
  'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
  // (the two variables let the unit tests run the agent on files of their own; fenced sets neither)
  `conf=\${FENCE_COLO_CONF:-${FENCE_COLO_CONF_DIR}}; log=\${FENCE_COLO_LOG:-${FENCE_COLO_LOG}}`,
  'action=; plug=',
  'while [ $# -gt 0 ]; do case $1 in',
  '  -o) action=${2:-}; shift 2;; --action=*) action=${1#*=}; shift;;',
  '  -n) plug=${2:-}; shift 2;; --plug=*|--port=*) plug=${1#*=}; shift;;',
  '  *) shift;; esac; done',
  'if [ -z "$action" ] && [ ! -t 0 ]; then',
  '  while IFS= read -r line || [ -n "$line" ]; do case $line in',
  '    action=*|option=*) action=${line#*=};; plug=*|port=*) plug=${line#*=};;',
  '    nodename=*) [ -n "$plug" ] || plug=${line#*=};; esac; done',
  'fi',
  '[ -n "$action" ] || action=reboot',
  'note() { mkdir -p "${log%/*}" 2>/dev/null; echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*" >>"$log" 2>/dev/null; ' +
    'echo "fence_colo: $*" >&2; }',
  'self() { s=$(cat "$conf/self" 2>/dev/null); [ "$1" = "$s" ] || [ "$1" = "$(uname -n)" ]; }',
  'case $action in',
  `metadata) cat <<'COLO_METADATA_END'`,
  FENCE_COLO_METADATA,
  'COLO_METADATA_END',
  '  exit 0;;',
  'list|list-status) for f in "$conf"/*.conf; do [ -r "$f" ] && basename "$f" .conf; done; exit 0;;',
  'monitor)',
  '  n=0; for f in "$conf"/*.conf; do [ -r "$f" ] || continue; n=$((n + 1))',
  '    p=$(sed -n "s/^arg=//p" "$f" | head -n 1); command -v "$p" >/dev/null 2>&1 || ' +
    '{ note "monitor: $f: cannot run $p"; exit 1; }; done',
  '  [ $n -gt 0 ] || { note "monitor: no host configured in $conf"; exit 1; }; exit 0;;',
  'esac',
  'case $plug in ""|*[!A-Za-z0-9_.-]*) note "$action: no valid plug (host name) given"; exit 1;; esac',
  'case $action in',
  'off|reboot)',
  '  if self "$plug"; then note "$action $plug: refused, that is this host"; exit 1; fi',
  '  (',
  // in this subshell: the target's fence command becomes "$@", its env is exported, $t its timeout
  '    f="$conf/$plug.conf"',
  '    [ -r "$f" ] || { note "$action $plug: no $f (colo apply installs one per host)"; exit 1; }',
  '    t=30; set --',
  '    while IFS= read -r l || [ -n "$l" ]; do case $l in',
  '      timeout=*) t=${l#timeout=};;',
  '      arg=*) set -- "$@" "${l#arg=}";;',
  '      env=*) kv=${l#env=}; k=${kv%%=*}; case $k in ""|[0-9]*|*[!A-Za-z0-9_]*) note "bad env line in $f"; ' +
    'exit 1;; esac; export "$kv";;',
  '    esac; done <"$f"',
  '    [ $# -gt 0 ] || { note "$f has no command"; exit 1; }',
  '    note "$action $plug: running its fence command (timeout ${t}s)"',
  '    timeout -k 5 "$t" "$@"',
  '  )',
  '  rc=$?',
  '  if [ $rc -eq 0 ]; then note "$action $plug: done (host powered off)"; exit 0; fi',
  '  note "$action $plug: fence command failed (exit $rc)"; exit 1;;',
  'status)',
  '  (',
  '    f="$conf/$plug.conf"; [ -r "$f" ] || { note "status $plug: no $f"; exit 1; }',
  '    set --; while IFS= read -r l || [ -n "$l" ]; do case $l in status=*) set -- "$@" "${l#status=}";; esac; ' +
    'done <"$f"',
  '    [ $# -gt 0 ] || { note "status $plug: unknown (no status probe configured)"; exit 1; }',
  '    timeout -k 5 30 "$@" >/dev/null 2>&1; rc=$?',
  '    case $rc in 0) exit 0;; 2) exit 2;; *) note "status $plug: probe failed (exit $rc)"; exit 1;; esac',
  '  ); exit $?;;',
  'on) note "on $plug: not supported (colo powers no host on)"; exit 1;;',
  '*) note "unknown action $action"; exit 1;;',
  'esac',
  '',
].join('\n');

export interface FenceTarget {
  host: string;
  /** Its fence.command (argv). */
  command: readonly string[];
  timeoutMs: number;
  /** Its fence.envFile's variables, already parsed (src/engine/fence-env.ts). */
  env?: Readonly<Record<string, string>>;
  /** An optional power-state probe (argv; exit 0 on, 2 off). */
  status?: readonly string[];
}

export interface InstallFile {
  path: string;
  mode: number;
  text: string;
}

function line(key: string, value: string, host: string): string {
  if (/[\n\r\0]/.test(value))
    throw new Error(
      `the fence command of host ${host} has a newline or NUL in "${key}", which fence_colo cannot carry`,
    );
  return `${key}=${value}`;
}

/** The config of one target host, as fence_colo reads it. */
export function renderFenceTargetConf(t: FenceTarget): string {
  if (!NAME.test(t.host)) throw new Error(`fence_colo: host name ${JSON.stringify(t.host)} cannot name a file`);
  if (t.command.length === 0) throw new Error(`fence_colo: host ${t.host} has no fence command`);
  const lines = [
    `# fence_colo: how to power off ${t.host} (its fence.command), written by colo apply`,
    `timeout=${Math.max(1, Math.ceil(t.timeoutMs / 1000))}`,
    ...t.command.map((a) => line('arg', a, t.host)),
    ...Object.entries(t.env ?? {}).map(([k, v]) => {
      if (!ENV_NAME.test(k)) throw new Error(`fence_colo: ${JSON.stringify(k)} is not an environment variable name`);
      return line('env', `${k}=${v}`, t.host);
    }),
    ...(t.status ?? []).map((a) => line('status', a, t.host)),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * What colo installs on cluster host `self` so it can fence the others: the agent (0755), its own
 * name and one config per other host (0600; a host never gets a config to fence itself).
 */
export function renderFenceColoInstall(self: string, targets: readonly FenceTarget[]): InstallFile[] {
  if (!NAME.test(self)) throw new Error(`fence_colo: host name ${JSON.stringify(self)} cannot name a file`);
  return [
    { path: FENCE_COLO_PATH, mode: 0o755, text: FENCE_COLO_AGENT },
    { path: `${FENCE_COLO_CONF_DIR}/self`, mode: 0o644, text: `${self}\n` },
    ...targets
      .filter((t) => t.host !== self)
      .map((t) => ({ path: `${FENCE_COLO_CONF_DIR}/${t.host}.conf`, mode: 0o600, text: renderFenceTargetConf(t) })),
  ];
}

/** The directories those files need (made 0755 before the files are written). */
export const FENCE_COLO_DIRS = ['/etc/colo', FENCE_COLO_CONF_DIR] as const;
