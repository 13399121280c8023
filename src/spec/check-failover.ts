/**
 * `failover.announce` (in a VM or in `defaults`): the schema checks its shape and `rounds`; here the
 * durations are checked against the bounds QEMU puts on its announce parameters (migration.c:
 * initial and max at most 100 s, step 1 ms to 10 s), whole milliseconds, and max not below initial.
 * Each value is checked where it is written.
 */
import type { RawFailover, RawSpec } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import { parseDuration } from './units.ts';

const BOUNDS = {
  initial: { min: 0, max: 100_000 },
  max: { min: 0, max: 100_000 },
  step: { min: 1, max: 10_000 },
} as const;

export function checkFailover(raw: RawSpec, r: Reporter): void {
  if (raw.defaults?.failover) failover(r, ['defaults', 'failover'], raw.defaults.failover);
  for (const [name, vm] of Object.entries(raw.vms ?? {})) {
    if (vm?.failover) failover(r, ['vms', name, 'failover'], vm.failover);
  }
}

function failover(r: Reporter, at: SpecPath, f: RawFailover): void {
  const a = f.announce;
  if (a === undefined || typeof a === 'boolean') return;
  const ms: Partial<Record<keyof typeof BOUNDS, number>> = {};
  for (const key of ['initial', 'max', 'step'] as const) {
    const v = a[key];
    if (v === undefined) continue;
    const path = [...at, 'announce', key];
    const parsed = parseDuration(v);
    const { min, max } = BOUNDS[key];
    if (!parsed.ok) r.error(path, `${formatPath(path)}: ${parsed.error}`);
    else if (parsed.value < min || parsed.value > max)
      r.error(path, `${formatPath(path)}: must be ${min}ms to ${max}ms (QEMU's bounds), not ${parsed.value}ms`);
    else ms[key] = parsed.value;
  }
  if (ms.initial !== undefined && ms.max !== undefined && ms.max < ms.initial) {
    const path = [...at, 'announce', 'max'];
    r.error(
      path,
      `${formatPath(path)}: ${ms.max}ms is shorter than initial (${ms.initial}ms); QEMU caps every delay at max`,
    );
  }
}
