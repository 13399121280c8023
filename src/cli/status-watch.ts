/**
 * `colo status --watch`: a refresh every interval (observation plus a checkpoint sample, under the
 * state lock, src/cli/locked-refresh.ts), the figures of the last minute of samples, drawn by the
 * view in place on a terminal. Runs until --count refreshes or Ctrl-C.
 */
import type { Spec } from '../spec/types.ts';
import type { FiguresInput } from '../plan/checkpoint-figures.ts';
import type { PairStatus } from '../plan/pair-status.ts';
import type { StatusView } from '../ui/views/status/status-view.ts';
import { statusSnapshot } from '../engine/status-snapshot.ts';
import type { ObserveOptions } from '../engine/observe.ts';
import { figuresByVm } from '../plan/checkpoint-figures.ts';
import { mergeSamples } from '../plan/checkpoint-history.ts';
import { pairStatuses } from '../plan/pair-status.ts';
import { openRefresher } from './locked-refresh.ts';
import { stateLockFor, type HostOptions } from './run-context.ts';

/** The figures of --watch cover the samples of the last minute. */
export const WATCH_KEEP_MS = 60_000;

export interface WatchOptions {
  sampleMs: number;
  intervalMs: number;
  count: number;
  /** The observation's deadlines (--health-deadline). */
  observe?: ObserveOptions;
}

export async function watchStatus(
  spec: Spec,
  opts: HostOptions & { state?: string; file: string },
  view: StatusView,
  w: WatchOptions,
): Promise<number> {
  const refresher = openRefresher(spec, opts, stateLockFor(opts, 'status'), w.intervalMs);
  let history: Record<string, FiguresInput> = {};
  let last: PairStatus[] = [];
  try {
    for (let i = 0; i < w.count; i++) {
      const t0 = Date.now();
      const r = await refresher.run((s, store) => statusSnapshot(s, store, w.sampleMs, w.observe));
      if (r.ok) {
        history = mergeSamples(history, r.value.samples, Date.now(), WATCH_KEEP_MS);
        last = pairStatuses(spec, r.value.state, r.value.obs, figuresByVm(history));
      }
      view.frame(last, { at: new Date(), intervalMs: w.intervalMs, skipped: r.ok ? null : r.busy });
      const left = t0 + w.intervalMs - Date.now();
      if (i + 1 < w.count && left > 0) await new Promise((res) => setTimeout(res, left));
    }
  } finally {
    await refresher.close();
  }
  return 0;
}
