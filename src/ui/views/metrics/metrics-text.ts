/**
 * `colo metrics`: the figures in the Prometheus text exposition format (version 0.0.4). Base units
 * (seconds, bytes), `_total` counters, a `vm` label per pair. Pure: from the pair statuses (with
 * their figures), the tallies of the collections so far, the hosts and the collection's outcome.
 */
import type { PairHealth, PairStatus } from '../../../plan/pair-status.ts';
import { PAUSE_BUCKETS_S, type PauseTally } from '../../../plan/checkpoint-tally.ts';
import type { AdviceKind } from '../../../plan/checkpoint-advice.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface CollectionOutcomes {
  ok: number;
  /** Skipped: another colo command held the state lock. */
  skipped: number;
  failed: number;
}

export interface MetricsSnapshot {
  statuses: PairStatus[];
  tallies: Record<string, PauseTally>;
  hosts: { name: string; reachable: boolean }[];
  /** The last collection that succeeded: when (ms since the epoch) and how long it took; null before any. */
  last: { atMs: number; durationMs: number } | null;
  /** Whether the latest collection succeeded. */
  success: boolean;
  collections: CollectionOutcomes;
}

type Labels = Record<string, string>;
type Sample = [Labels, number];

const HEALTH: PairHealth[] = ['protected', 'degraded', 'down', 'not-deployed', 'unknown'];
const ADVICE: AdviceKind[] = ['checkpoint-storm', 'long-pauses'];

/** A label value with backslash, double quote and line feed escaped. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(x: number): string {
  if (x === Infinity) return '+Inf';
  if (Number.isNaN(x)) return 'NaN';
  return String(Math.round(x * 1e6) / 1e6);
}

function line(name: string, labels: Labels, value: number): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return `${name}${l.length > 0 ? `{${l.join(',')}}` : ''} ${num(value)}`;
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): string[] {
  if (samples.length === 0) return [];
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([l, v]) => line(name, l, v))];
}

function pauseHistogram(tallies: Record<string, PauseTally>): string[] {
  const name = 'colo_checkpoint_pause_seconds';
  const vms = Object.keys(tallies).sort();
  if (vms.length === 0) return [];
  const out = [
    `# HELP ${name} How long each checkpoint colo saw stopped the guest (QEMU's STOP to RESUME, exact), ` +
      'counted while colo listened (the sample of each collection).',
    `# TYPE ${name} histogram`,
  ];
  for (const vm of vms) {
    const t = tallies[vm]!;
    PAUSE_BUCKETS_S.forEach((b, i) => out.push(line(`${name}_bucket`, { vm, le: String(b) }, t.buckets[i]!)));
    out.push(line(`${name}_bucket`, { vm, le: '+Inf' }, t.count));
    out.push(line(`${name}_sum`, { vm }, t.sumSeconds), line(`${name}_count`, { vm }, t.count));
  }
  return out;
}

function failoverFamilies(statuses: PairStatus[]): string[] {
  const per = (f: (p: PairStatus) => number | null): Sample[] =>
    statuses.flatMap((p) => {
      const v = f(p);
      return v === null ? [] : [[{ vm: p.vm }, v] as Sample];
    });
  return [
    ...family(
      'colo_failovers_total',
      'counter',
      'Failovers colo recorded for the VM (state file).',
      per((p) => p.failovers),
    ),
    ...family(
      'colo_last_failover_timestamp_seconds',
      'gauge',
      'When the last failover started (Unix time).',
      per((p) => (p.lastFailover ? Date.parse(p.lastFailover.at) / 1000 : null)),
    ),
  ];
}

function pairFamilies(statuses: PairStatus[], tallies: Record<string, PauseTally>): string[] {
  const per = (f: (p: PairStatus) => number | null): Sample[] =>
    statuses.flatMap((p) => {
      const v = f(p);
      return v === null ? [] : [[{ vm: p.vm }, v] as Sample];
    });
  const talliesOf = Object.entries(tallies).sort(([a], [b]) => a.localeCompare(b));
  return [
    ...family(
      'colo_pair_state',
      'gauge',
      'The health of the pair: 1 for its current state, 0 for the others.',
      statuses.flatMap((p) => HEALTH.map((h) => [{ vm: p.vm, state: h }, p.health === h ? 1 : 0] as Sample)),
    ),
    ...family(
      'colo_checkpoints_total',
      'counter',
      'Checkpoints completed since COLO (last) started, exact: from the bytes the secondary sent back on the ' +
        'migration connection (3 four-byte COLO messages per checkpoint).',
      per((p) => p.figures?.total ?? null),
    ),
    ...family(
      'colo_migration_transmit_bytes_total',
      'counter',
      'Bytes the secondary acknowledged on the migration connection since it opened (the first RAM copy, then ' +
        'every checkpoint), exact (kernel TCP counters).',
      per((p) => p.figures?.transmittedBytes ?? null),
    ),
    ...family(
      'colo_checkpoint_size_bytes',
      'gauge',
      'Mean bytes sent per checkpoint over the last collection (RAM, device state, protocol).',
      per((p) => p.figures?.bytesPerCheckpoint ?? null),
    ),
    ...pauseHistogram(tallies),
    ...family(
      'colo_checkpoint_last_pause_seconds',
      'gauge',
      'The last checkpoint pause colo saw.',
      talliesOf.flatMap(([vm, t]) => (t.lastSeconds === null ? [] : [[{ vm }, t.lastSeconds] as Sample])),
    ),
    ...family(
      'colo_checkpoint_triggers_total',
      'counter',
      'Checkpoints colo saw by what triggered them, estimated from the gap to the previous one: timer, forced ' +
        '(by colo-compare: a packet mismatch or compare_timeout), unclassified (the first of each sample).',
      talliesOf.flatMap(([vm, t]) =>
        (['timer', 'forced', 'unclassified'] as const).map((k) => [{ vm, trigger: k }, t.triggers[k]] as Sample),
      ),
    ),
    ...family(
      'colo_checkpoint_interval_seconds',
      'gauge',
      'x-checkpoint-delay of the primary: the longest time between checkpoints.',
      per((p) => (p.checkpoint.intervalMs === null ? null : p.checkpoint.intervalMs / 1000)),
    ),
    ...family(
      'colo_compare_timeout_seconds',
      'gauge',
      'colo-compare compare_timeout of the primary (first NIC).',
      per((p) => (p.checkpoint.compareTimeoutMs === null ? null : p.checkpoint.compareTimeoutMs / 1000)),
    ),
    ...family(
      'colo_advice',
      'gauge',
      '1 while colo advises on the pair (checkpoint-storm, long-pauses: see colo status), else 0.',
      statuses.flatMap((p) =>
        ADVICE.map((k) => [{ vm: p.vm, kind: k }, p.advice.some((a) => a.kind === k) ? 1 : 0] as Sample),
      ),
    ),
    ...failoverFamilies(statuses),
  ];
}

export function renderMetrics(m: MetricsSnapshot): string {
  const lines = [
    ...family('colo_collection_success', 'gauge', '1 when the latest collection of the figures succeeded.', [
      [{}, m.success ? 1 : 0],
    ]),
    ...family(
      'colo_collections_total',
      'counter',
      'Collections of the figures by result: ok, skipped (another colo command held the state lock), failed.',
      (['ok', 'skipped', 'failed'] as const).map((r) => [{ result: r }, m.collections[r]] as Sample),
    ),
    ...(m.last
      ? [
          ...family('colo_collection_timestamp_seconds', 'gauge', 'When the last good collection ended.', [
            [{}, m.last.atMs / 1000],
          ]),
          ...family('colo_collection_duration_seconds', 'gauge', 'How long the last good collection took.', [
            [{}, m.last.durationMs / 1000],
          ]),
        ]
      : []),
    ...family(
      'colo_host_reachable',
      'gauge',
      '1 when colo reached the host over SSH in the last good collection.',
      m.hosts.map((h) => [{ host: h.name }, h.reachable ? 1 : 0] as Sample),
    ),
    ...pairFamilies(m.statuses, m.tallies),
  ];
  return `${lines.join('\n')}\n`;
}
