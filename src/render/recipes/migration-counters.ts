/**
 * The kernel's byte counters of a primary's COLO migration connection, as a script recipe: per VM
 * one `ss` reading of the established TCP connection to the secondary's migration port. QEMU 7.2
 * keeps no checkpoint counter (query-migrate in state `colo` reports the status only); the byte
 * counts of this connection are cumulative and exact, and src/plan/migration-counters.ts turns them
 * into checkpoints and bytes.
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import type { ScriptRecipe } from './types.ts';

/** Fixed script; every value is a positional parameter (vm, port, address; `-` = any address). */
export const MIGRATION_COUNTERS_SCRIPT = [
  'command -v ss >/dev/null 2>&1 || { echo "ss-missing"; exit 0; }',
  'while [ $# -ge 3 ]; do',
  '  vm=$1; port=$2; addr=$3; shift 3',
  '  if [ "$addr" = - ]; then out=$(ss -tinpH state established dport = ":$port" 2>&1)',
  '  else out=$(ss -tinpH state established dst "$addr" dport = ":$port" 2>&1); fi',
  '  echo "mig $vm $(printf %s "$out" | base64 -w0)"',
  'done',
].join('\n');

export interface CounterTarget {
  vm: string;
  /** The secondary's migration port. */
  port: number;
  /** The secondary's replication address when it is an IPv4 literal (ss filters on it), else null. */
  address: string | null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** What the primary of `vm` connects to: the secondary's replication address and migration port. */
export function counterTarget(spec: Spec, vm: VmSpec, secondaryHost: string): CounterTarget {
  const addr = spec.hosts[secondaryHost]?.replicationAddress ?? '';
  return { vm: vm.name, port: vm.ports.migration, address: IPV4.test(addr) ? addr : null };
}

export function renderMigrationCounters(host: string, targets: CounterTarget[], timeoutMs = 10_000): ScriptRecipe {
  return {
    kind: 'script',
    name: 'migration-counters',
    summary: "the kernel's byte counters of each primary's migration connection (ss): checkpoints and bytes",
    host,
    body: {
      kind: 'script',
      name: 'colo-migration-counters',
      text: MIGRATION_COUNTERS_SCRIPT,
      args: targets.flatMap((t) => [t.vm, String(t.port), t.address ?? '-']),
    },
    timeoutMs,
    outcome: { kind: 'output' },
  };
}
