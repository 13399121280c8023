/**
 * Advice from a pair's checkpoint figures (src/plan/checkpoint-figures.ts): a checkpoint storm
 * (checkpoints far more often than the interval gives: colo-compare forces them) and long pauses,
 * each with what to tune. Shown by status, plan and verify. Pure.
 */
import type { CheckpointFigures } from './checkpoint-figures.ts';

export type AdviceKind = 'checkpoint-storm' | 'long-pauses';

export interface Advice {
  kind: AdviceKind;
  message: string;
}

export interface AdviceSettings {
  /** x-checkpoint-delay, ms. */
  intervalMs: number | null;
  /** colo-compare compare_timeout, ms. */
  compareTimeoutMs: number | null;
}

/** A storm: at least this many checkpoints seen, at this many times the rate the interval alone gives. */
export const STORM_MIN_CHECKPOINTS = 3;
export const STORM_RATE_FACTOR = 3;
/** Long pauses: a p95 pause of at least this, or the guest stopped at least this share of the time. */
export const LONG_PAUSE_P95_MS = 300;
export const LONG_PAUSE_STOPPED_PERCENT = 25;

const fmt = (x: number): string => (x >= 100 ? String(Math.round(x)) : String(Math.round(x * 10) / 10));
const mib = (b: number): string => `${fmt(b / 1048576)} MiB`;

function storm(vm: string, f: CheckpointFigures, s: AdviceSettings): Advice | null {
  if (s.intervalMs === null || s.intervalMs <= 0 || f.perMinute === null) return null;
  const timerRate = 60_000 / s.intervalMs;
  if (f.sampled < STORM_MIN_CHECKPOINTS || f.perMinute < STORM_RATE_FACTOR * timerRate) return null;
  const forced = f.triggers ? `, ${f.triggers.forced} of them forced by colo-compare (estimated from their gaps)` : '';
  const stopped = f.stoppedPercent !== null ? `; the guest was stopped ${fmt(f.stoppedPercent)}% of the time` : '';
  const ct = s.compareTimeoutMs !== null ? `, now ${s.compareTimeoutMs} ms` : '';
  return {
    kind: 'checkpoint-storm',
    message:
      `${vm}: checkpoint storm: ${f.sampled} checkpoints in ${fmt(f.sampledMs / 1000)} s (${fmt(f.perMinute)}/min; ` +
      `the interval of ${s.intervalMs} ms alone gives ${fmt(timerRate)}/min)${forced}${stopped}. ` +
      'colo-compare forces a ' +
      'checkpoint for every packet that differs between primary and secondary: a guest service that is not ' +
      'deterministic (random data, clocks, per-boot values in its answers) causes this; make it deterministic or ' +
      'serve it from a NIC colo does not compare. If the secondary only answers late (a slower host), raise ' +
      `checkpoint.compareTimeout (compare_timeout${ct}). A longer checkpoint.interval (x-checkpoint-delay) does not ` +
      'help against mismatches.',
  };
}

function longPauses(vm: string, f: CheckpointFigures, s: AdviceSettings): Advice | null {
  const p = f.pause;
  if (!p) return null;
  const stoppedLong = f.stoppedPercent !== null && f.stoppedPercent >= LONG_PAUSE_STOPPED_PERCENT;
  if (p.p95Ms < LONG_PAUSE_P95_MS && !stoppedLong) return null;
  const size = f.bytesPerCheckpoint !== null ? `, ${mib(f.bytesPerCheckpoint)} sent per checkpoint` : '';
  const stopped = f.stoppedPercent !== null ? ` (stopped ${fmt(f.stoppedPercent)}% of the time)` : '';
  const interval = s.intervalMs !== null ? `, now ${s.intervalMs} ms` : '';
  return {
    kind: 'long-pauses',
    message:
      `${vm}: long checkpoint pauses: p95 ${fmt(p.p95Ms)} ms, last ${fmt(p.lastMs)} ms over ${p.count} ` +
      `checkpoints${stopped}${size}. Each checkpoint copies the memory the guest dirtied since the previous one ` +
      `while the guest is stopped: a shorter checkpoint.interval (x-checkpoint-delay${interval}) copies less each ` +
      'time (shorter, more frequent pauses); a busy guest writing much memory, or a slow replication link, makes ' +
      'every pause long.',
  };
}

export function checkpointAdvice(vm: string, f: CheckpointFigures | null, s: AdviceSettings): Advice[] {
  if (!f) return [];
  const st = storm(vm, f, s);
  const lp = st ? null : longPauses(vm, f, s);
  return [st, lp].filter((a): a is Advice => a !== null);
}
