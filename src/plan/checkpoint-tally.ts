/**
 * What `colo metrics` accumulates over its collections, per pair: every checkpoint pause it saw as
 * a histogram (Prometheus buckets, seconds) and the estimated triggers. The windows of successive
 * collections never overlap (each collection listens anew), so every pause is counted once. Pure.
 */
import { pauseFigures, triggerFigures, type FiguresInput, type TriggerFigures } from './checkpoint-figures.ts';

/** Upper bounds of the pause histogram's buckets, seconds (the +Inf bucket is the count). */
export const PAUSE_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface PauseTally {
  /** Cumulative count per bucket of PAUSE_BUCKETS_S (pauses <= its bound). */
  buckets: number[];
  count: number;
  sumSeconds: number;
  /** The last pause seen, seconds, or null before any. */
  lastSeconds: number | null;
  triggers: TriggerFigures;
}

export function emptyTally(): PauseTally {
  return {
    buckets: PAUSE_BUCKETS_S.map(() => 0),
    count: 0,
    sumSeconds: 0,
    lastSeconds: null,
    triggers: { timer: 0, forced: 0, unclassified: 0 },
  };
}

/** The tally after the windows of one more collection. */
export function addToTally(prev: PauseTally | undefined, input: FiguresInput): PauseTally {
  const t = prev ?? emptyTally();
  const pauses = input.windows
    .flatMap((w) => w.checkpoints)
    .filter((c) => c.resumeMs !== null)
    .sort((a, b) => a.stopMs - b.stopMs)
    .map((c) => (c.resumeMs! - c.stopMs) / 1000);
  const trig = triggerFigures(input.windows, input.intervalMs);
  const last = pauseFigures(input.windows.flatMap((w) => w.checkpoints));
  return {
    buckets: t.buckets.map((n, i) => n + pauses.filter((p) => p <= PAUSE_BUCKETS_S[i]!).length),
    count: t.count + pauses.length,
    sumSeconds: t.sumSeconds + pauses.reduce((s, p) => s + p, 0),
    lastSeconds: last ? last.lastMs / 1000 : t.lastSeconds,
    triggers: {
      timer: t.triggers.timer + (trig?.timer ?? 0),
      forced: t.triggers.forced + (trig?.forced ?? 0),
      unclassified: t.triggers.unclassified + (trig?.unclassified ?? 0),
    },
  };
}
