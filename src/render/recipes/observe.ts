/**
 * Observation (refresh) as recipes. Per host ONE remote script reports the QEMU version, the work
 * directory and, for every VM that may live there, its pid, argv and console crash lines; then ONE
 * pipelined QMP batch per live QEMU. The replies are read by src/plan/observe-replies.ts.
 */
import type { QmpCommand } from '../qmp-command.ts';
import type { Spec, VmSpec } from '../../spec/types.ts';
import { nicIds, virtioBackendPaths } from '../ids.ts';
import { hostOf } from '../paths.ts';
import { PID_RUNNING_FN } from '../scripts/transport-scripts.ts';
import { cmd, query } from './build.ts';
import { TLS_CRED_FILES } from '../tls.ts';
import type { QmpRecipe, Query, ScriptRecipe } from './types.ts';

/**
 * Fixed script; every value reaches it as a positional parameter, never pasted into its text:
 * `bin workDir tlsDir vm...` (tlsDir empty when the host has none). With a tlsDir it also reports
 * whether the QEMU has GnuTLS (`-object help` lists tls-cipher-suites only in a GnuTLS build) and,
 * per credentials file, whether it is readable and its mode.
 */
export const HOST_OBSERVE_SCRIPT = [
  'bin="$1"; wd="$2"; tls="$3"; shift 3',
  'if v=$("$bin" --version 2>&1 | head -n 1) && [ -n "$v" ] && [ -x "$bin" ]; then echo "qemu ok $(printf %s ' +
    '"$v" | base64 -w0)"; else echo "qemu err $(printf %s "${v:-not found}" | base64 -w0)"; fi',
  // the work directory: its owner and mode, and the SSH user's uid (it must be private to that user)
  'if [ -d "$wd" ]; then echo "workdir 1 $(stat -L -c \'%u %a\' "$wd") $(id -u)"; else echo "workdir 0"; fi',
  'if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo "kvm 1"; else echo "kvm 0"; fi',
  'if [ -n "$tls" ]; then',
  '  if "$bin" -object help 2>/dev/null | grep -qw tls-cipher-suites; then echo "gnutls 1"; else echo "gnutls 0"; fi',
  `  for f in ${TLS_CRED_FILES.join(' ')}; do`,
  '    if [ -r "$tls/$f" ] && [ -f "$tls/$f" ]; then echo "tlsfile $f 1 $(stat -L -c %a "$tls/$f")"; ' +
    'else echo "tlsfile $f 0 -"; fi',
  '  done',
  'fi',
  PID_RUNNING_FN,
  'for vm in "$@"; do',
  '  d="$wd/$vm"; pid=""; alive=0; cmd="-"; crash="-"; st="-"',
  '  [ -r "$d/qemu.pid" ] && pid=$(tr -dc 0-9 < "$d/qemu.pid" 2>/dev/null)',
  '  if [ -n "$pid" ] && running "$pid" && [ -r "/proc/$pid/cmdline" ]; then alive=1; ' +
    'cmd=$(base64 -w0 < "/proc/$pid/cmdline"); [ -n "$cmd" ] || { cmd=-; alive=0; }; ' +
    // its state letter (T: stopped), the field after the parenthesised command name
    'st=$(sed "s/^.*) //" "/proc/$pid/stat" 2>/dev/null | cut -d " " -f 1); [ -n "$st" ] || st=-; fi',
  // the guest writes the console: only its last MiB is searched, at most 5 lines of at most 512 bytes sent
  '  if [ -f "$d/console.log" ]; then c=$(tail -c 1048576 "$d/console.log" | grep -a -m 5 -E ' +
    '"Kernel panic|Oops|general protection fault|BUG:" | cut -b 1-512 | base64 -w0); [ -n "$c" ] && crash="$c"; fi',
  '  echo "vm $vm ${pid:--} $alive $cmd $crash $st"',
  'done',
].join('\n');

export function renderHostObserve(spec: Spec, hostName: string, vmNames: string[], timeoutMs = 20_000): ScriptRecipe {
  const host = hostOf(spec, hostName);
  return {
    kind: 'script',
    name: 'host-observe',
    summary:
      "the host's QEMU version, work directory (owner, mode), KVM, TLS support and credentials, and per VM " +
      'its pid, argv, process state, guest crash lines',
    host: hostName,
    body: {
      kind: 'script',
      name: 'colo-observe',
      text: HOST_OBSERVE_SCRIPT,
      args: [host.qemu.binary, host.workDir, host.tls?.dir ?? '', ...vmNames],
    },
    timeoutMs,
    outcome: { kind: 'output' },
  };
}

export interface ObserveBatch {
  /** The queries, each a fact of the observe recipe (a failed one leaves its fact absent). */
  queries: Query[];
  commands: QmpCommand[];
  /** [colo-compare id, property] of each qom-get. */
  compareKeys: [string, string][];
  virtioPaths: string[];
}

export const compareFact = (id: string, prop: string): string => `compare ${id} ${prop}`;
export const virtioFact = (i: number): string => `virtio${i}`;

/** The QMP queries of one QEMU, sent as one pipelined batch. */
export function qmpObserveBatch(vm: VmSpec): ObserveBatch {
  const queries: Query[] = [
    query('status', cmd('query-status')),
    query('colo', cmd('query-colo-status')),
    query('migrate', cmd('query-migrate')),
    query('migrate-params', cmd('query-migrate-parameters')),
    query('graph', cmd('x-debug-query-block-graph')),
    query('objects', cmd('qom-list', { path: '/objects' })),
    query('chardevs', cmd('query-chardev')),
    query('exports', cmd('query-block-exports')),
  ];
  const compareKeys: [string, string][] = [];
  for (const n of vm.netdevs) {
    const id = nicIds(n).compare;
    for (const prop of ['compare_timeout', 'expired_scan_cycle', 'max_queue_size']) {
      compareKeys.push([id, prop]);
      queries.push(query(compareFact(id, prop), cmd('qom-get', { path: `/objects/${id}`, property: prop })));
    }
  }
  const virtioPaths = virtioBackendPaths(vm);
  virtioPaths.forEach((path, i) => queries.push(query(virtioFact(i), cmd('x-query-virtio-status', { path }))));
  const settled = queries.map((q) => ({ ...q, onError: 'absent' as const }));
  return { queries: settled, commands: settled.map((q) => q.command), compareKeys, virtioPaths };
}

export function renderObserveQmp(vm: VmSpec, host: string): QmpRecipe {
  return {
    kind: 'qmp',
    name: 'observe',
    summary: 'what the QEMU runs: status, COLO, migration, block graph, objects, chardevs, exports, virtio',
    vm: vm.name,
    role: 'either',
    hosts: { either: host },
    ops: [{ op: 'query', queries: qmpObserveBatch(vm).queries, timeoutMs: 10_000 }],
  };
}
