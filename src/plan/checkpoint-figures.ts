/**
 * Checkpoint figures of one pair from what colo saw: the STOP/RESUME events of the primary's QEMU
 * while colo listened (each checkpoint stops and resumes the guest), and readings of the kernel's
 * counters of the migration connection (src/plan/migration-counters.ts). Pure.
 *
 * Exact: the total (kernel byte count of the COLO messages), the bytes sent, every pause (QEMU's own
 * event timestamps, microseconds), the number of checkpoints in the windows colo listened. Derived
 * from exact figures: the rate (checkpoints seen / time listened), bytes per checkpoint (bytes sent /
 * checkpoints between two readings: a mean that includes device state and protocol). Estimated:
 * what triggered each checkpoint (QEMU does not say; see `forcedBelowMs`).
 */
import { checkpointsFromReturnPath, type CounterResult } from './migration-counters.ts';

export interface ObservedCheckpoint {
  /** QEMU's timestamp of the STOP event, ms since the epoch. */
  stopMs: number;
  /** QEMU's timestamp of its RESUME event, or null when the window ended before it. */
  resumeMs: number | null;
}

/** One stretch of time colo listened to a primary's events (local clock, ms). */
export interface CheckpointWindow {
  startMs: number;
  endMs: number;
  checkpoints: ObservedCheckpoint[];
}

export interface CounterSample {
  /** Local clock, ms. */
  atMs: number;
  result: CounterResult;
}

export interface FiguresInput {
  /** x-checkpoint-delay as observed on the primary, ms. */
  intervalMs: number | null;
  /** The migration channel is encrypted (tls-creds set): its byte counts do not count checkpoints. */
  tls: boolean;
  windows: CheckpointWindow[];
  /** Readings of the kernel counters, oldest first. */
  readings: CounterSample[];
}

export interface PauseFigures {
  lastMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  count: number;
}

export interface TriggerFigures {
  timer: number;
  forced: number;
  /** The first checkpoint of each window: no earlier one to measure the gap from. */
  unclassified: number;
}

export interface CheckpointFigures {
  /** Checkpoints completed since COLO started (exact), or null (see totalUnavailable). */
  total: number | null;
  totalUnavailable: string | null;
  /** Bytes the secondary acknowledged on the migration connection since it opened (exact), or null. */
  transmittedBytes: number | null;
  /** How long colo listened to the events, ms. */
  sampledMs: number;
  /** Checkpoints that started while colo listened. */
  sampled: number;
  perMinute: number | null;
  pause: PauseFigures | null;
  /** Share of the listened time the guest was stopped by checkpoints, percent. */
  stoppedPercent: number | null;
  bytesPerCheckpoint: number | null;
  /** Estimated from the gaps between checkpoints. */
  triggers: TriggerFigures | null;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/**
 * A checkpoint that starts sooner than this after the previous one was forced by colo-compare (a
 * packet that differed, or one older than compare_timeout): the timer fires x-checkpoint-delay after
 * the last checkpoint request (QEMU re-arms it at every request, migration/colo.c
 * colo_checkpoint_notify), so a timer checkpoint comes at least about one interval after the
 * previous one. The margin (10%, at least 20 ms) absorbs the request's round trip to the secondary.
 */
export function forcedBelowMs(intervalMs: number): number {
  return intervalMs - Math.max(intervalMs * 0.1, 20);
}

export function pauseFigures(checkpoints: ObservedCheckpoint[]): PauseFigures | null {
  const done = checkpoints.filter((c) => c.resumeMs !== null).sort((a, b) => a.stopMs - b.stopMs);
  if (done.length === 0) return null;
  const pauses = done.map((c) => c.resumeMs! - c.stopMs);
  const sorted = [...pauses].sort((a, b) => a - b);
  return {
    lastMs: round1(pauses[pauses.length - 1]!),
    p50Ms: round1(percentile(sorted, 50)),
    p95Ms: round1(percentile(sorted, 95)),
    maxMs: round1(sorted[sorted.length - 1]!),
    count: pauses.length,
  };
}

export function triggerFigures(windows: CheckpointWindow[], intervalMs: number | null): TriggerFigures | null {
  if (intervalMs === null || intervalMs <= 0) return null;
  const below = forcedBelowMs(intervalMs);
  const t: TriggerFigures = { timer: 0, forced: 0, unclassified: 0 };
  for (const w of windows) {
    const stops = w.checkpoints.map((c) => c.stopMs).sort((a, b) => a - b);
    stops.forEach((s, i) => {
      if (i === 0) t.unclassified++;
      else if (s - stops[i - 1]! < below) t.forced++;
      else t.timer++;
    });
  }
  return t;
}

function totals(input: FiguresInput): Pick<CheckpointFigures, 'total' | 'totalUnavailable' | 'transmittedBytes'> {
  const last = input.readings[input.readings.length - 1];
  if (!last) return { total: null, totalUnavailable: 'no reading of the migration connection', transmittedBytes: null };
  if (!last.result.ok) return { total: null, totalUnavailable: last.result.reason, transmittedBytes: null };
  const bytes = last.result.reading.bytesAcked;
  if (input.tls)
    return {
      total: null,
      totalUnavailable: 'the migration channel is encrypted (TLS): its byte count does not count checkpoints',
      transmittedBytes: bytes,
    };
  const c = checkpointsFromReturnPath(last.result.reading.bytesReceived);
  return { total: c.count, totalUnavailable: c.count === null ? c.reason : null, transmittedBytes: bytes };
}

/**
 * Mean bytes per checkpoint between two readings (exact counts; null without a checkpoint between).
 * Readings taken between checkpoints are preferred: one taken during a checkpoint counts bytes of a
 * checkpoint not yet counted as completed.
 */
function bytesPerCheckpoint(input: FiguresInput): number | null {
  if (input.tls) return null;
  const good = input.readings.flatMap((r) => (r.result.ok ? [r.result.reading] : []));
  const idle = good.filter((r) => (r.bytesReceived - 4) % 12 === 0);
  for (const list of [idle, good]) {
    if (list.length < 2) continue;
    const a = list[0]!;
    const b = list[list.length - 1]!;
    const ca = checkpointsFromReturnPath(a.bytesReceived).count;
    const cb = checkpointsFromReturnPath(b.bytesReceived).count;
    if (ca === null || cb === null || cb <= ca || b.bytesAcked < a.bytesAcked) continue;
    return Math.round((b.bytesAcked - a.bytesAcked) / (cb - ca));
  }
  return null;
}

export function checkpointFigures(input: FiguresInput): CheckpointFigures {
  const sampledMs = input.windows.reduce((s, w) => s + Math.max(0, w.endMs - w.startMs), 0);
  const all = input.windows.flatMap((w) => w.checkpoints);
  const pause = pauseFigures(all);
  const stopped = all.reduce((s, c) => s + (c.resumeMs !== null ? c.resumeMs - c.stopMs : 0), 0);
  return {
    ...totals(input),
    sampledMs: Math.round(sampledMs),
    sampled: all.length,
    perMinute: sampledMs > 0 ? round1((all.length / sampledMs) * 60_000) : null,
    pause,
    stoppedPercent: sampledMs > 0 && pause ? round1(Math.min(100, (stopped / sampledMs) * 100)) : null,
    bytesPerCheckpoint: bytesPerCheckpoint(input),
    triggers: all.length > 0 ? triggerFigures(input.windows, input.intervalMs) : null,
  };
}

/** The figures of every sampled pair. */
export function figuresByVm(samples: Record<string, FiguresInput>): Record<string, CheckpointFigures> {
  return Object.fromEntries(Object.entries(samples).map(([vm, s]) => [vm, checkpointFigures(s)]));
}
