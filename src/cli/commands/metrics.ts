/**
 * `colo metrics`: the checkpoint figures, pair states and failovers in the Prometheus text format,
 * once on stdout, or with --listen ADDR:PORT served over HTTP at /metrics until SIGINT or SIGTERM.
 */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { parseDuration } from '../parse-duration.ts';
import { UserError } from '../user-error.ts';
import { addSamples, metricsOf, MetricsCollector } from '../metrics-collector.ts';
import { parseListen, serveMetrics } from '../metrics-http.ts';
import { statusSnapshot } from '../../engine/status-snapshot.ts';
import { renderMetrics } from '../../ui/views/metrics/metrics-text.ts';

interface MetricsOptions extends SpecOptions {
  lockTimeout: string;
  sample: string;
  listen?: string;
  interval: string;
  scrapeTimeout: string;
}

export function registerMetrics(program: Command, wire: Wire): void {
  specCommand(program, 'metrics', 'print the checkpoint figures and pair states for Prometheus, or serve them')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock held by a command that changes it', '0s')
    .option('--sample <duration>', "how long each collection listens to the pairs' checkpoints", '2s')
    .option('--listen <address:port>', 'serve the metrics over HTTP at /metrics on this address until stopped')
    .option('--interval <duration>', 'with --listen: time from one collection to the next', '15s')
    .option('--scrape-timeout <duration>', 'with --listen: the longest a scrape waits (for the first collection)', '5s')
    .action(
      wire(async (raw: unknown) => {
        const opts = raw as MetricsOptions;
        const sampleMs = parseDuration(opts.sample, '--sample');
        const spec = await loadSpecOrFail(opts.file);
        if (!opts.listen) {
          const t0 = performance.now();
          const snap = await withLockedSession(spec, opts, stateLockFor(opts, 'metrics'), (s, store) =>
            statusSnapshot(s, store, sampleMs),
          );
          const m = metricsOf(spec, snap, addSamples({}, snap), {
            durationMs: Math.round(performance.now() - t0),
            collections: { ok: 1, skipped: 0, failed: 0 },
          });
          process.stdout.write(renderMetrics(m));
          return 0;
        }
        const addr = parseListen(opts.listen);
        const intervalMs = parseDuration(opts.interval, '--interval');
        const scrapeTimeoutMs = parseDuration(opts.scrapeTimeout, '--scrape-timeout');
        if (intervalMs < 1000) throw new UserError(`--interval: "${opts.interval}" is shorter than 1s`);
        if (sampleMs >= intervalMs)
          throw new UserError(`--sample (${opts.sample}) must be shorter than --interval (${opts.interval})`);
        return listen(spec, opts, addr, { sampleMs, intervalMs, scrapeTimeoutMs });
      }),
    );
}

async function listen(
  spec: Parameters<typeof metricsOf>[0],
  opts: MetricsOptions,
  addr: ReturnType<typeof parseListen>,
  o: { sampleMs: number; intervalMs: number; scrapeTimeoutMs: number },
): Promise<number> {
  const collector = new MetricsCollector(spec, opts, {
    sampleMs: o.sampleMs,
    intervalMs: o.intervalMs,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  let served: Awaited<ReturnType<typeof serveMetrics>>;
  try {
    served = await serveMetrics(addr, (t) => collector.text(t), o.scrapeTimeoutMs);
  } catch (err) {
    await collector.close();
    throw err;
  }
  collector.start();
  process.stderr.write(
    `colo metrics: serving ${served.url} (a collection every ${o.intervalMs / 1000} s, ` +
      `listening ${o.sampleMs / 1000} s to the checkpoints); Ctrl-C stops\n`,
  );
  return new Promise<number>(() => {
    const stop = () => {
      served.server.close();
      // the exit handlers release the lock and tear down the SSH connections
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
