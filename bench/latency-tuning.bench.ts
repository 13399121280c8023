/**
 * Where the COLO pair's tail latency comes from, setting by setting: on one netns lab, for each
 * checkpoint/compare setting of the spec a fresh pair (`colo destroy`, the spec edited, `colo apply`,
 * 5 s for the first checkpoints), then TUNING_REQUESTS
 * (default 100) sequential GETs from the client namespace, with the primary's checkpoints (QMP STOP
 * events) counted during them and the pause of each. Last, the same guest alone (the secondary's
 * QEMU killed, `colo failover --to primary`) for the ratio in the same run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { colo, expectCode, sleep } from './lib/cli.ts';
import { netnsSkip, withNetnsLab, type BenchPairLab } from './lib/latency-labs.ts';
import { quantile, type LoadFigures } from './lib/http-load.ts';
import { emptyResult, type Benchmark, type BenchContext, type BenchResult } from './lib/types.ts';
import { pausesOf } from './latency.bench.ts';
import type { QmpEventRecord } from '../src/qmp/types.ts';

const REQUESTS = Number(process.env['TUNING_REQUESTS'] ?? 100);

/** A spec `checkpoint:` block to try (keys of schemas/colo.schema.json $defs/checkpoint). */
export interface Setting {
  label: string;
  checkpoint: Record<string, string | number>;
}

export const SETTINGS: Setting[] = [
  {
    label: 'defaults (interval 2s, compareTimeout 3s, expiredScanCycle 3s, maxQueueSize 1024)',
    checkpoint: { interval: '2s', compareTimeout: '3s', expiredScanCycle: '3s', maxQueueSize: 1024 },
  },
  {
    label: 'interval 500ms',
    checkpoint: { interval: '500ms', compareTimeout: '3s', expiredScanCycle: '3s', maxQueueSize: 1024 },
  },
  {
    label: 'interval 1s',
    checkpoint: { interval: '1s', compareTimeout: '3s', expiredScanCycle: '3s', maxQueueSize: 1024 },
  },
  {
    label: 'interval 4s',
    checkpoint: { interval: '4s', compareTimeout: '3s', expiredScanCycle: '3s', maxQueueSize: 1024 },
  },
  {
    label: 'interval 10s',
    checkpoint: { interval: '10s', compareTimeout: '3s', expiredScanCycle: '3s', maxQueueSize: 1024 },
  },
  {
    label: 'compareTimeout 100ms, expiredScanCycle 100ms',
    checkpoint: { interval: '2s', compareTimeout: '100ms', expiredScanCycle: '100ms', maxQueueSize: 1024 },
  },
  {
    label: 'compareTimeout 10s, expiredScanCycle 10s',
    checkpoint: { interval: '2s', compareTimeout: '10s', expiredScanCycle: '10s', maxQueueSize: 1024 },
  },
  {
    label: 'compareTimeout 500ms, expiredScanCycle 100ms',
    checkpoint: { interval: '2s', compareTimeout: '500ms', expiredScanCycle: '100ms', maxQueueSize: 1024 },
  },
  {
    label: 'maxQueueSize 64',
    checkpoint: { interval: '2s', compareTimeout: '3s', expiredScanCycle: '3s', maxQueueSize: 64 },
  },
];

export interface TuningRow {
  label: string;
  load: LoadFigures;
  checkpoints: number;
  pauseP50: number;
}

async function setCheckpoint(spec: string, checkpoint: Record<string, string | number>): Promise<void> {
  const doc = parseDocument(await readFile(spec, 'utf8'));
  doc.setIn(['vms', 'web', 'checkpoint'], doc.createNode(checkpoint));
  await writeFile(spec, doc.toString({ lineWidth: 0 }));
}

async function measure(lab: BenchPairLab, label: string, urlPath: string): Promise<TuningRow> {
  const q = await lab.qmp('alpha');
  const events: QmpEventRecord[] = [];
  q.on('event', (e) => events.push(e));
  let load: LoadFigures;
  try {
    load = await lab.load('alpha', REQUESTS, 1, urlPath);
  } finally {
    await q.close();
  }
  const pauses = pausesOf(events).map((p) => p.resume - p.stop);
  return { label, load, checkpoints: pauses.length, pauseP50: quantile(pauses, 0.5) };
}

export const latencyTuningBench: Benchmark = {
  name: 'latency-tuning',
  title: "the COLO pair's HTTP latency per checkpoint/compare setting (netns lab)",
  async run(ctx: BenchContext): Promise<BenchResult> {
    const res = emptyResult();
    const skip = netnsSkip();
    if (skip) return { ...res, skipped: `the netns lab ${skip}` };
    const rows = await withNetnsLab(ctx.log, async (lab) => {
      const out: TuningRow[] = [];
      // Each setting on a fresh pair (destroy, edit, apply): no setting inherits another's state; the
      // first setting again at the end shows the drift of the run (load from other jobs).
      for (const s of [...SETTINGS, { ...SETTINGS[0]!, label: `${SETTINGS[0]!.label}, again` }]) {
        expectCode(await colo(['destroy', '-f', lab.spec, '--auto-approve']), 'colo destroy');
        await setCheckpoint(lab.spec, s.checkpoint);
        expectCode(await colo(['apply', '-f', lab.spec, '--auto-approve']), `colo apply (${s.label})`);
        await sleep(5000);
        const row = await measure(lab, s.label, '/');
        ctx.log(`tuning: ${s.label}: ${JSON.stringify(row)}`);
        out.push(row);
      }
      // The same guest alone.
      await lab.killQemu('beta');
      expectCode(await colo(['failover', '-f', lab.spec, '--to', 'primary']), 'colo failover --to primary');
      const alone = await measure(lab, 'guest alone (secondary QEMU killed, failover --to primary)', '/');
      ctx.log(`tuning: alone: ${JSON.stringify(alone)}`);
      out.push(alone);
      await colo(['destroy', '-f', lab.spec, '--auto-approve']).catch(() => undefined);
      return out;
    });
    res.runs.push(...rows);
    const alone = rows.at(-1)!;
    for (const r of rows) {
      const pre = r === alone ? 'alone' : r.label;
      res.metrics.push(
        { name: `${pre}: p50`, unit: 'ms', samples: [r.load.p50] },
        { name: `${pre}: p95`, unit: 'ms', samples: [r.load.p95] },
        { name: `${pre}: p99`, unit: 'ms', samples: [r.load.p99] },
        { name: `${pre}: requests per second`, unit: 'count', samples: [Math.round(r.load.reqPerS * 10) / 10] },
        { name: `${pre}: checkpoints during the ${r.load.requests} GETs`, unit: 'count', samples: [r.checkpoints] },
      );
      if (r !== alone)
        res.metrics.push({ name: `${pre}: p95 / alone p95`, unit: 'x', samples: [r.load.p95 / alone.load.p95] });
      if (!Number.isNaN(r.pauseP50))
        res.metrics.push({ name: `${pre}: checkpoint pause p50`, unit: 'ms', samples: [r.pauseP50] });
    }
    res.notes.push(
      `${REQUESTS} sequential GETs of / per setting from the client namespace, one after the other on one pair ` +
        'in COLO; each setting on a fresh pair (destroy, edit the spec, apply, 5 s); the first setting is measured ' +
        'again last, to show how much the run drifted.',
    );
    return res;
  },
};
