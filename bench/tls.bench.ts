/**
 * TLS cost, plain and TLS in the same run: two labs one after the other (plain first), each applied,
 * then per lab the checkpoint pause (STOP -> RESUME of the primary, from QEMU's own event timestamps,
 * over N checkpoints at the lab's 2 s interval, with the guest writing continuity records every
 * 200 ms and a request every 250 ms) and the re-protection (kill -9 the secondary, colo failover
 * --to primary, then the timed colo apply that brings a fresh secondary into COLO), N times.
 */
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { tlsInit } from '../src/lab/tls-init.ts';
import type { QmpEventRecord } from '../src/qmp/types.ts';
import { applyFigures, colo, expectCode, firstAnswer, httpGet, sleep } from './lib/cli.ts';
import { LAB_ADDR, withLab, type BenchLab } from './lib/lab.ts';
import { median } from './lib/stats.ts';
import { emptyResult, type Benchmark, type Metric } from './lib/types.ts';

type Mode = 'plain' | 'tls';

interface ModeRun {
  mode: Mode;
  applyMs: number;
  switchoverPauseMs?: number;
  /** STOP -> RESUME of each checkpoint, ms. */
  checkpointPausesMs: number[];
  reprotects: { applyMs: number; pauseMs?: number }[];
}

const eventMs = (e: QmpEventRecord) => (e.timestamp ? e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 : 0);

/** Spec edits for TLS: a CA and per-host credentials in the lab dir, each host's tls.dir, tls on for every pair. */
async function enableTls(lab: BenchLab): Promise<void> {
  const dir = path.join(lab.dir, 'tls');
  await tlsInit({ dir, hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address })) });
  const doc = parseDocument(await readFile(lab.specFile, 'utf8'));
  for (const h of lab.hosts) doc.setIn(['hosts', h.name, 'tls'], doc.createNode({ dir: path.join(dir, h.name) }));
  doc.set('tls', doc.createNode({ enabled: true }));
  await writeFile(lab.specFile, doc.toString({ lineWidth: 0 }));
}

async function withRecords(lab: BenchLab): Promise<void> {
  const doc = parseDocument(await readFile(lab.specFile, 'utf8'));
  const vm = lab.vms[0]!.name;
  doc.setIn(['vms', vm, 'boot', 'append'], `${String(doc.getIn(['vms', vm, 'boot', 'append']))} colo_records=200`);
  await writeFile(lab.specFile, doc.toString({ lineWidth: 0 }));
}

/** STOP -> RESUME durations of `count` checkpoints on the primary, with requests to the guest meanwhile. */
async function checkpointPauses(lab: BenchLab, count: number): Promise<number[]> {
  const port = lab.vms[0]!.servicePort;
  let busy = true;
  const load = (async () => {
    while (busy) {
      await httpGet(LAB_ADDR.alpha, port, 10_000).catch(() => undefined);
      await sleep(250);
    }
  })();
  try {
    return await lab.withQmp('alpha', async (q) => {
      const out: number[] = [];
      let since = q.eventSeq;
      while (out.length < count) {
        const stop = await q.waitForEvent('STOP', undefined, { since, timeoutMs: 30_000 });
        const resume = await q.waitForEvent('RESUME', (e) => e.seq > stop.seq, { since: stop.seq, timeoutMs: 30_000 });
        out.push(Math.round((eventMs(resume) - eventMs(stop)) * 10) / 10);
        since = resume.seq;
      }
      return out;
    });
  } finally {
    busy = false;
    await load;
  }
}

async function measure(mode: Mode, runs: number, log: (m: string) => void): Promise<ModeRun> {
  return withLab({ log }, async (lab) => {
    await withRecords(lab);
    if (mode === 'tls') await enableTls(lab);
    const a = expectCode(await colo(['apply', '-f', lab.specFile, '--auto-approve'], { timeoutMs: 600_000 }), 'apply');
    await firstAnswer(LAB_ADDR.alpha, lab.vms[0]!.servicePort, 60_000, 5000, 200);
    const pauses = await checkpointPauses(lab, Math.max(10, runs * 2));
    log(`tls bench ${mode}: checkpoint pauses ${pauses.join(', ')} ms`);
    const reprotects: ModeRun['reprotects'] = [];
    for (let i = 0; i < runs; i++) {
      const pid = await lab.pid('beta');
      if (!pid) throw new Error(`${mode}: no secondary QEMU on beta before re-protect ${i + 1}`);
      process.kill(pid, 'SIGKILL');
      for (let j = 0; j < 200 && (await lab.pid('beta')); j++) await sleep(10);
      expectCode(await colo(['failover', '-f', lab.specFile, '--to', 'primary']), 'failover --to primary');
      const r = expectCode(
        await colo(['apply', '-f', lab.specFile, '--auto-approve'], { timeoutMs: 600_000 }),
        'apply',
      );
      const f = applyFigures(r.stdout);
      reprotects.push({ applyMs: Math.round(r.ms), ...(f.pauseMs !== undefined ? { pauseMs: f.pauseMs } : {}) });
      log(`tls bench ${mode}: re-protect ${i + 1}: apply ${Math.round(r.ms)} ms, switchover pause ${f.pauseMs} ms`);
    }
    expectCode(await colo(['destroy', '-f', lab.specFile, '--auto-approve']), 'destroy');
    const fa = applyFigures(a.stdout);
    return {
      mode,
      applyMs: Math.round(a.ms),
      ...(fa.pauseMs !== undefined ? { switchoverPauseMs: fa.pauseMs } : {}),
      checkpointPausesMs: pauses,
      reprotects,
    };
  });
}

export const tlsBench: Benchmark = {
  name: 'tls',
  title: 'TLS on the replication channels: checkpoint pause and re-protection, plain vs TLS (same run)',
  async run(ctx) {
    const res = emptyResult();
    const plain = await measure('plain', ctx.runs, ctx.log);
    const tls = await measure('tls', ctx.runs, ctx.log);
    res.runs.push(plain, tls);
    const metrics = (r: ModeRun): Metric[] => [
      { name: `${r.mode}: checkpoint pause (STOP -> RESUME)`, unit: 'ms', samples: r.checkpointPausesMs },
      {
        name: `${r.mode}: re-protect (colo apply after failover --to primary)`,
        unit: 'ms',
        samples: r.reprotects.map((x) => x.applyMs),
      },
      {
        name: `${r.mode}: re-protect switchover pause`,
        unit: 'ms',
        samples: r.reprotects.flatMap((x) => (x.pauseMs !== undefined ? [x.pauseMs] : [])),
      },
    ];
    res.metrics.push(...metrics(plain), ...metrics(tls));
    const ratio = (a: number[], b: number[]) => (median(b) / median(a)).toFixed(2);
    res.notes.push(
      `TLS / plain, medians: checkpoint pause ${ratio(plain.checkpointPausesMs, tls.checkpointPausesMs)}x, ` +
        `re-protect ${ratio(
          plain.reprotects.map((x) => x.applyMs),
          tls.reprotects.map((x) => x.applyMs),
        )}x. First apply: plain ${plain.applyMs} ms (switchover pause ${plain.switchoverPauseMs} ms), TLS ` +
        `${tls.applyMs} ms (switchover pause ${tls.switchoverPauseMs} ms).`,
    );
    return res;
  },
};
