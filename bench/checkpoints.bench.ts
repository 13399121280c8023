/**
 * Checkpoint pauses as colo reports them (`colo status --json --sample 10s`: QEMU's STOP/RESUME
 * events) next to what a client of the guest sees: four clients send HTTP requests back to back to
 * the guest through the primary (test/helpers/silence.ts) while colo samples, and each checkpoint's
 * client-visible silence is the gap between two answers that spans it. The checkpoints themselves
 * come from QEMU's own trace log (runstate changes, timestamped), the witness that lines the two up.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { colo, expectCode, sleep } from './lib/cli.ts';
import { withLab, type BenchLab } from './lib/lab.ts';
import { median } from './lib/stats.ts';
import { emptyResult, type Benchmark, type BenchContext, type BenchResult } from './lib/types.ts';
import { qemuTrace, runstates, TRACE_ARGS } from '../test/helpers/witness.ts';
import type { TestLab } from '../test/helpers/lab.ts';
import { probeSilence, quietLatencies, silenceAround, type Pause } from '../test/helpers/silence.ts';

const WINDOW_S = 10;
/** Probe clients: one (few requests of its own in the way), four (finer resolution, more traffic). */
const CLIENTS = [1, 4];
/**
 * The stated margin: a client sees the pause, plus the time to answer the requests that waited for
 * it (the guest's answer, and the secondary's for colo-compare to release it): at most this, median.
 */
const MARGIN_MS = 150;
/** A client never sees less silence than the pause, but for clock and scheduling jitter. */
const LOWER_MS = 10;

interface Run {
  run: number;
  clients: number;
  checkpoints: number;
  perMinute: number;
  coloP50: number;
  coloP95: number;
  coloMax: number;
  traceP50: number;
  silenceP50: number;
  silenceP95: number;
  excessP50: number;
  /** The smallest silence minus pause of the run: a client never sees less than the pause (>= -10 ms). */
  excessMin: number;
  quietP50: number;
  quietP95: number;
  forced: number;
  requests: number;
}

const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.95) - 1)] ?? NaN;
const r1 = (x: number): number => Math.round(x * 10) / 10;

async function tracePauses(lab: BenchLab, fromMs: number, toMs: number): Promise<Pause[]> {
  // qemuTrace reads <lab dir>/hosts/<host>/<vm>/qemu.log: the bench lab has the same layout
  const rs = runstates(await qemuTrace(lab as unknown as TestLab, 'alpha'));
  const out: Pause[] = [];
  for (let i = 0; i + 1 < rs.length; i++) {
    const a = rs[i]!;
    const b = rs[i + 1]!;
    if (a.from === 'running' && a.to === 'colo' && b.from === 'colo' && b.to === 'running')
      if (a.ms >= fromMs && b.ms <= toMs) out.push({ stopMs: a.ms, resumeMs: b.ms });
  }
  return out;
}

async function oneRun(lab: BenchLab, run: number, clients: number): Promise<Run> {
  const port = lab.vms[0]!.servicePort;
  const probe = probeSilence('127.0.0.11', port, clients);
  await sleep(500);
  const t0 = Date.now();
  const s = expectCode(await colo(['status', '-f', lab.specFile, '--json', '--sample', `${WINDOW_S}s`]), 'status');
  const t1 = Date.now();
  await sleep(500);
  const records = await probe.stop();
  const pair = (JSON.parse(s.stdout) as { vms: { figures: FiguresDoc | null }[] }).vms[0]!;
  const f = pair.figures;
  if (!f?.pause) throw new Error(`colo status reported no pause: ${s.stdout.slice(0, 800)}`);
  const pauses = await tracePauses(lab, t0, t1);
  const silences = silenceAround(records, pauses).filter((x): x is number => x !== null);
  const excess = silenceAround(records, pauses).flatMap((x, i) =>
    x === null ? [] : [x - (pauses[i]!.resumeMs - pauses[i]!.stopMs)],
  );
  const quiet = quietLatencies(records, pauses);
  return {
    run,
    clients,
    checkpoints: f.sampled,
    perMinute: f.perMinute ?? NaN,
    coloP50: f.pause.p50Ms,
    coloP95: f.pause.p95Ms,
    coloMax: f.pause.maxMs,
    traceP50: r1(median(pauses.map((p) => p.resumeMs - p.stopMs))),
    silenceP50: r1(median(silences)),
    silenceP95: r1(p95(silences)),
    excessP50: r1(median(excess)),
    excessMin: r1(Math.min(...excess)),
    quietP50: r1(median(quiet)),
    quietP95: r1(p95(quiet)),
    forced: f.triggers?.forced ?? 0,
    requests: records.length,
  };
}

interface FiguresDoc {
  sampled: number;
  perMinute: number | null;
  pause: { p50Ms: number; p95Ms: number; maxMs: number } | null;
  triggers: { forced: number } | null;
}

function report(res: BenchResult, clients: number): void {
  const runs = (res.runs as Run[]).filter((r) => r.clients === clients);
  const w = `${clients} client${clients === 1 ? '' : 's'}`;
  const metric = (name: string, key: keyof Run, unit: 'ms' | 'count' = 'ms') =>
    res.metrics.push({ name: `${name} (${w})`, unit, samples: runs.map((r) => r[key]) });
  metric('checkpoint pause p50, as colo status reports it (QEMU STOP -> RESUME)', 'coloP50');
  metric('checkpoint pause p95, as colo status reports it', 'coloP95');
  metric('checkpoint pause p50, QEMU trace log (same checkpoints as the client)', 'traceP50');
  metric('client-visible silence p50 (gap between answers spanning a checkpoint)', 'silenceP50');
  metric('client-visible silence p95', 'silenceP95');
  metric('silence minus pause, p50 per checkpoint', 'excessP50');
  metric('request latency p50 away from checkpoints', 'quietP50');
  metric('request latency p95 away from checkpoints', 'quietP95');
  metric(`checkpoints seen by colo in ${WINDOW_S} s`, 'checkpoints', 'count');
  metric('of them forced by colo-compare (estimated)', 'forced', 'count');
  const coloP50 = median(runs.map((r) => r.coloP50));
  const silenceP50 = median(runs.map((r) => r.silenceP50));
  const excess = median(runs.map((r) => r.excessP50));
  const least = Math.min(...runs.map((r) => r.excessMin));
  res.goals.push({
    goal: `colo's pauses agree with the client-visible silence (${w})`,
    target: `per checkpoint silence >= pause - ${LOWER_MS} ms; median(silence - pause) <= ${MARGIN_MS} ms`,
    measured:
      `colo p50 ${coloP50} ms, client silence p50 ${silenceP50} ms; silence - pause: median ${excess} ms, ` +
      `least ${least} ms`,
    met: least >= -LOWER_MS && excess <= MARGIN_MS,
  });
}

async function measure(ctx: BenchContext, res: BenchResult): Promise<void> {
  await withLab({ log: ctx.log }, async (lab) => {
    const doc = parseDocument(await readFile(lab.specFile, 'utf8'));
    doc.setIn(['defaults', 'extraArgs'], doc.createNode({ both: [...TRACE_ARGS] }));
    await writeFile(lab.specFile, doc.toString({ lineWidth: 0 }));
    expectCode(await colo(['apply', '-f', lab.specFile, '--auto-approve'], { timeoutMs: 600_000 }), 'colo apply');
    try {
      const answer = await fetch(`http://127.0.0.11:${lab.vms[0]!.servicePort}/silence-probe`);
      res.notes.push(
        `The probe's answer: HTTP ${answer.status}, headers ${[...answer.headers.keys()].join(', ')}, ` +
          `${(await answer.text()).length} bytes of body.`,
      );
      for (let run = 1; run <= ctx.runs; run++)
        for (const clients of CLIENTS) {
          const r = await oneRun(lab, run, clients);
          ctx.log(
            `checkpoints run ${run}, ${clients} client(s): colo p50 ${r.coloP50} p95 ${r.coloP95} ms; client ` +
              `silence p50 ${r.silenceP50} p95 ${r.silenceP95} ms; ${r.checkpoints} checkpoints ` +
              `(${r.perMinute}/min)`,
          );
          res.runs.push(r);
        }
    } finally {
      await colo(['destroy', '-f', lab.specFile, '--auto-approve']);
    }
  });
  for (const clients of CLIENTS) report(res, clients);
  res.notes.push(
    `Each run: colo status --json --sample ${WINDOW_S}s on the lab pair (interval 2 s) while one, then four ` +
      "clients GET a missing path of the guest's busybox httpd back to back through the primary " +
      '(127.0.0.11). A client sees a checkpoint as a gap between answers: the pause itself plus the time to ' +
      'answer the requests that waited for it (silence minus pause).',
  );
}

export const checkpointsBench: Benchmark = {
  name: 'checkpoints',
  title: 'checkpoint pauses: colo status vs the silence a client sees',
  async run(ctx) {
    const res = emptyResult();
    await measure(ctx, res);
    return res;
  },
};
