/**
 * The collections behind `colo metrics`: each one an observation plus a checkpoint sample of every
 * pair in COLO (src/engine/status-snapshot.ts), under the state lock and with the QMP connections
 * given up at its end (src/cli/locked-refresh.ts); the SSH connections stay open between them. The
 * pause histograms add up across collections (src/plan/checkpoint-tally.ts), so counters never go
 * down while the process runs. A scrape reads the latest snapshot and never waits for a collection.
 */
import type { Spec } from '../spec/types.ts';
import type { StatusSnapshot } from '../engine/status-snapshot.ts';
import { statusSnapshot } from '../engine/status-snapshot.ts';
import { figuresByVm } from '../plan/checkpoint-figures.ts';
import { addToTally, type PauseTally } from '../plan/checkpoint-tally.ts';
import { pairStatuses } from '../plan/pair-status.ts';
import { renderMetrics, type CollectionOutcomes, type MetricsSnapshot } from '../ui/views/metrics/metrics-text.ts';
import { openRefresher, type Refresher } from './locked-refresh.ts';
import { stateLockFor, type HostOptions } from './run-context.ts';

/** The metrics of one snapshot; `tallies` are the pause tallies so far, this snapshot's samples already added. */
export function metricsOf(
  spec: Spec,
  snap: StatusSnapshot,
  tallies: Record<string, PauseTally>,
  outcome: { durationMs: number; collections: CollectionOutcomes },
): MetricsSnapshot {
  return {
    statuses: pairStatuses(spec, snap.state, snap.obs, figuresByVm(snap.samples)),
    tallies,
    hosts: Object.values(snap.obs.hosts)
      .map((h) => ({ name: h.name, reachable: h.reachable }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    last: { atMs: Date.now(), durationMs: outcome.durationMs },
    success: true,
    collections: outcome.collections,
  };
}

export function addSamples(tallies: Record<string, PauseTally>, snap: StatusSnapshot): Record<string, PauseTally> {
  const next = { ...tallies };
  for (const [vm, s] of Object.entries(snap.samples)) next[vm] = addToTally(next[vm], s);
  return next;
}

export interface CollectorOptions {
  sampleMs: number;
  intervalMs: number;
  /** Told about a skipped or failed collection. */
  log: (line: string) => void;
}

export class MetricsCollector {
  private readonly refresher: Refresher;
  private tallies: Record<string, PauseTally> = {};
  private snapshot: MetricsSnapshot | null = null;
  private readonly collections: CollectionOutcomes = { ok: 0, skipped: 0, failed: 0 };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private firstDone!: () => void;
  private readonly first = new Promise<void>((r) => (this.firstDone = r));

  constructor(
    private readonly spec: Spec,
    opts: HostOptions & { state?: string; file: string },
    private readonly o: CollectorOptions,
  ) {
    this.refresher = openRefresher(spec, opts, stateLockFor(opts, 'metrics'), o.intervalMs);
  }

  /** Collect now, then every interval, until close(). */
  start(): void {
    const loop = async () => {
      const t0 = Date.now();
      await this.collect();
      this.firstDone();
      if (!this.stopped) this.timer = setTimeout(loop, Math.max(0, t0 + this.o.intervalMs - Date.now()));
    };
    void loop();
  }

  private async collect(): Promise<void> {
    const t0 = performance.now();
    try {
      const r = await this.refresher.run((s, store) => statusSnapshot(s, store, this.o.sampleMs));
      if (!r.ok) {
        this.collections.skipped++;
        this.o.log(`colo metrics: collection skipped: ${r.busy}`);
        if (this.snapshot) this.snapshot = { ...this.snapshot, success: false, collections: { ...this.collections } };
        return;
      }
      this.collections.ok++;
      this.tallies = addSamples(this.tallies, r.value);
      this.snapshot = metricsOf(this.spec, r.value, this.tallies, {
        durationMs: Math.round(performance.now() - t0),
        collections: { ...this.collections },
      });
    } catch (err) {
      this.collections.failed++;
      this.o.log(`colo metrics: collection failed: ${(err as Error).message}`);
      if (this.snapshot) this.snapshot = { ...this.snapshot, success: false, collections: { ...this.collections } };
    }
  }

  /** The exposition text now; before the first collection ended, waits for it at most `timeoutMs`. */
  async text(timeoutMs: number): Promise<string> {
    if (!this.snapshot) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.first, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return renderMetrics(
      this.snapshot ?? {
        statuses: [],
        tallies: {},
        hosts: [],
        last: null,
        success: false,
        collections: { ...this.collections },
      },
    );
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.refresher.close();
  }
}
