/** A `colo metrics` snapshot for the tests: a pair in a checkpoint storm after two collections. */
import { pairStatuses } from '../../../src/plan/pair-status.ts';
import { checkpointFigures, type FiguresInput } from '../../../src/plan/checkpoint-figures.ts';
import { addToTally } from '../../../src/plan/checkpoint-tally.ts';
import type { MetricsSnapshot } from '../../../src/ui/views/metrics/metrics-text.ts';
import { healthyWeb, state, vmState, webSpec } from '../plan/plan-fixtures.ts';

export const T0 = 1_800_000_000_000;

/** One collection's sample: checkpoints every `gapMs` from `startMs`, each pausing `pauseMs`. */
export function collection(startMs: number, n: number, gapMs: number, pauseMs: number, before: number): FiguresInput {
  const checkpoints = Array.from({ length: n }, (_, i) => ({
    stopMs: startMs + 50 + i * gapMs,
    resumeMs: startMs + 50 + i * gapMs + pauseMs,
  }));
  const reading = (count: number, atMs: number) => ({
    atMs,
    result: { ok: true as const, reading: { bytesAcked: 1e8 + count * 1.5e6, bytesReceived: 4 + 12 * count } },
  });
  const endMs = startMs + 100 + n * gapMs;
  return {
    intervalMs: 2000,
    tls: false,
    windows: [{ startMs, endMs, checkpoints }],
    readings: [reading(before, startMs), reading(before + n, endMs)],
  };
}

export function metricsFixture(): MetricsSnapshot {
  const spec = webSpec();
  const st = state({
    web: vmState({
      failovers: 2,
      lastFailover: { at: '2026-02-03T04:05:06.000Z', from: 'beta', to: 'alpha', durationMs: 700 },
    }),
  });
  const a = collection(T0, 2, 2000, 48, 10);
  const b = collection(T0 + 15_000, 12, 150, 120, 30);
  const tallies = { web: addToTally(addToTally(undefined, a), b) };
  return {
    statuses: pairStatuses(spec, st, healthyWeb(spec), { web: checkpointFigures(b) }),
    tallies,
    hosts: [
      { name: 'alpha', reachable: true },
      { name: 'beta', reachable: true },
    ],
    last: { atMs: T0 + 17_000, durationMs: 2345 },
    success: true,
    collections: { ok: 2, skipped: 1, failed: 0 },
  };
}
