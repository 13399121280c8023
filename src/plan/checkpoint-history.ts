/**
 * The checkpoint samples of repeated refreshes (status --watch, metrics --listen) kept as one
 * figures input per pair: the windows and counter readings of the last `keepMs`. A pair that left
 * COLO is forgotten; a total that went down (COLO started again: a new migration connection) starts
 * the readings afresh. Pure.
 */
import { checkpointsFromReturnPath, type CounterResult } from './migration-counters.ts';
import type { FiguresInput } from './checkpoint-figures.ts';

const countOf = (r: CounterResult): number | null =>
  r.ok ? checkpointsFromReturnPath(r.reading.bytesReceived).count : null;

export function mergeSamples(
  history: Record<string, FiguresInput>,
  next: Record<string, FiguresInput>,
  nowMs: number,
  keepMs: number,
): Record<string, FiguresInput> {
  const out: Record<string, FiguresInput> = {};
  for (const [vm, s] of Object.entries(next)) {
    const prev = history[vm];
    let readings = [...(prev?.readings ?? []), ...s.readings];
    const restarted = readings.findLastIndex((r, i) => {
      if (i === 0) return false;
      const a = countOf(readings[i - 1]!.result);
      const b = countOf(r.result);
      return a !== null && b !== null && b < a;
    });
    if (restarted > 0) readings = readings.slice(restarted);
    const recent = readings.filter((r) => r.atMs >= nowMs - keepMs);
    const windows = [...(restarted > 0 ? [] : (prev?.windows ?? [])), ...s.windows].filter(
      (w) => w.endMs >= nowMs - keepMs,
    );
    out[vm] = {
      intervalMs: s.intervalMs,
      tls: s.tls,
      windows,
      readings: recent.length > 0 ? recent : readings.slice(-1),
    };
  }
  return out;
}
