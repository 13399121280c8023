/**
 * Runs colo's benchmarks: `npm run bench [-- NAME... --runs N --loop N]`.
 *
 * Every benchmark brings up its own local lab (two sshd hosts on 127.0.0.11/12, the patched QEMU,
 * the tiny guest) in a temp dir and tears it down. Results: median, min and max of N runs per
 * metric, goals with the figure they were judged on, machine details and the load average around
 * every benchmark, written to bench/results/latest.json and bench/results/latest.md (after each
 * benchmark, so a later failure keeps what was measured) and printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/files/atomic-write.ts';
import { applyBench } from './apply.bench.ts';
import { applyLoop } from './apply-loop.bench.ts';
import { cliStartup } from './cli-startup.bench.ts';
import { failoverBench } from './failover.bench.ts';
import { planScale } from './plan-scale.bench.ts';
import { verifyBench } from './verify.bench.ts';
import { tlsBench } from './tls.bench.ts';
import { checkpointsBench } from './checkpoints.bench.ts';
import { latencyBench } from './latency.bench.ts';
import { latencyTuningBench } from './latency-tuning.bench.ts';
import { loadSnapshot, machineInfo, type LoadSnapshot, type MachineInfo } from './lib/machine.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';
import type { BenchContext, Benchmark, BenchResult, Goal, Metric } from './lib/types.ts';

const BENCHMARKS: Benchmark[] = [
  cliStartup,
  planScale,
  applyBench,
  applyLoop,
  failoverBench,
  verifyBench,
  checkpointsBench,
  tlsBench,
  latencyBench,
  latencyTuningBench,
];
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

interface Args {
  names: string[];
  runs: number;
  loop: number;
  outDir: string;
  /** Update the results block of BENCHMARKS.md (only after a run of every benchmark). */
  doc: boolean;
}

const DOC = path.join(ROOT, 'BENCHMARKS.md');
const DOC_START = '<!-- bench:results:start (written by bench/run.ts) -->';
const DOC_END = '<!-- bench:results:end -->';

function usage(): string {
  return [
    'usage: npm run bench [-- [NAME...] [--runs N] [--loop N] [--out DIR]]',
    '',
    `benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')} (default: all, in this order)`,
    '  --runs N   repetitions per benchmark (default 5)',
    '  --loop N   consecutive fresh applies in apply-loop (default 10)',
    '  --out DIR  where latest.json and latest.md go (default bench/results)',
    '  --no-doc   do not rewrite the results block of BENCHMARKS.md (a run of every',
    '             benchmark rewrites it; a partial run never does)',
    '',
    'Needs the compiled CLI (npm run build), sshd, qemu-img and the cached lab QEMU and guest.',
  ].join('\n');
}

function parseArgs(argv: string[]): Args {
  const a: Args = { names: [], runs: 5, loop: 10, outDir: path.join(HERE, 'results'), doc: true };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const num = (flag: string) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
      return v;
    };
    if (x === '--runs') a.runs = num('--runs');
    else if (x === '--loop') a.loop = num('--loop');
    else if (x === '--out') a.outDir = path.resolve(argv[++i] ?? '');
    else if (x === '--no-doc') a.doc = false;
    else if (x === '-h' || x === '--help') {
      process.stdout.write(`${usage()}\n`);
      process.exit(0);
    } else if (x.startsWith('-')) throw new Error(`unknown option ${x}\n${usage()}`);
    else {
      if (!BENCHMARKS.some((b) => b.name === x))
        throw new Error(`no benchmark named ${x} (${BENCHMARKS.map((b) => b.name).join(', ')})`);
      a.names.push(x);
    }
  }
  return a;
}

/** Newest mtime under a dir (for the stale-build warning). */
function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

interface MetricOut extends Metric, Summary {}

interface BenchOut {
  name: string;
  title: string;
  startedAt: string;
  wallSeconds: number;
  loadBefore: LoadSnapshot;
  loadAfter: LoadSnapshot;
  metrics: MetricOut[];
  goals: Goal[];
  notes: string[];
  runs: unknown[];
  skipped?: string;
  error?: string;
}

interface Report {
  generatedAt: string;
  command: string;
  /** The colo that was measured: git commit of the tree and src/ files changed since (dist/ is built from the tree). */
  colo: { commit: string; srcChanges: string[] };
  runs: number;
  loop: number;
  machine: MachineInfo;
  loadBefore: LoadSnapshot;
  loadAfter?: LoadSnapshot;
  benchmarks: BenchOut[];
}

function loadLine(l: LoadSnapshot): string {
  return `${l.loadavg.join(' / ')}${l.busiest.length ? ` (busiest: ${l.busiest.join(', ')})` : ''}`;
}

/** " plus 2 uncommitted src/ change(s) (src/a.ts, src/b.ts)", or '' when src/ is clean. */
function srcChangesNote(changes: string[]): string {
  if (changes.length === 0) return '';
  return ` plus ${changes.length} uncommitted src/ change(s) (${changes.map((l) => l.slice(3)).join(', ')})`;
}

export function markdown(r: Report): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Generated ${r.generatedAt} by \`${r.command}\` (${r.runs} runs per benchmark, apply-loop ${r.loop}), colo ` +
      `at ${r.colo.commit}${srcChangesNote(r.colo.srcChanges)}.`,
    '',
  );
  out.push('| machine | |', '|---|---|');
  out.push(
    `| CPU | ${m.cpuModel}, ${m.cores} CPUs |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| kernel | ${m.kernel} |`,
    `| Node | ${m.node} |`,
    `| QEMU | ${m.qemu} |`,
    `| guest accel | ${m.accel} |`,
  );
  out.push(`| load average (1/5/15 min) before | ${loadLine(r.loadBefore)} |`);
  if (r.loadAfter) out.push(`| load average after | ${loadLine(r.loadAfter)} |`);
  out.push('');
  const goals = r.benchmarks.flatMap((b) => b.goals.map((g) => ({ b: b.name, g })));
  if (goals.length > 0) {
    out.push('### Goals', '', '| benchmark | goal | target | measured | met |', '|---|---|---|---|---|');
    for (const { b, g } of goals)
      out.push(`| ${b} | ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? 'yes' : '**no**'} |`);
    out.push('');
    const missed = goals.filter(({ g }) => !g.met && g.why);
    for (const { b, g } of missed) out.push(`- **${b}: ${g.goal}** missed: ${g.why}`);
    if (missed.length > 0) out.push('');
  }
  for (const b of r.benchmarks) {
    out.push(`### ${b.name}: ${b.title}`, '');
    out.push(
      `Load average before ${b.loadBefore.loadavg.join(' / ')}, after ${b.loadAfter.loadavg.join(' / ')}; ` +
        `${b.wallSeconds} ` +
        `s.${b.loadBefore.busiest.length ? ` Busiest before: ${b.loadBefore.busiest.join(', ')}.` : ''}`,
      '',
    );
    if (b.skipped) out.push(`Skipped: ${b.skipped}`, '');
    if (b.error) out.push(`**Failed:** ${b.error.split('\n').slice(0, 6).join(' ')}`, '');
    if (b.metrics.length > 0) {
      out.push('| metric | median | min | max | n |', '|---|---:|---:|---:|---:|');
      for (const x of b.metrics)
        out.push(
          `| ${x.name.replace(/\|/g, '\\|')} | ${fmt(x.median, x.unit)} | ${fmt(x.min, x.unit)} | ` +
            `${fmt(x.max, x.unit)} | ${x.n} |`,
        );
      out.push('');
    }
    for (const n of b.notes) out.push(`- ${n}`);
    if (b.notes.length > 0) out.push('');
  }
  return out.join('\n');
}

async function save(dir: string, r: Report): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of [
    ['latest.json', `${JSON.stringify(r, null, 2)}\n`],
    ['latest.md', `${markdown(r)}\n`],
  ] as const) {
    await writeFileAtomic(path.join(dir, name), text, { mode: 0o644 });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const selected = args.names.length > 0 ? BENCHMARKS.filter((b) => args.names.includes(b.name)) : BENCHMARKS;
  const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  if (!existsSync(path.join(ROOT, 'dist')))
    throw new Error('dist/ is missing: run `npm run build` first (the benchmarks run bin/colo.js)');
  if (newest(path.join(ROOT, 'src')) > newest(path.join(ROOT, 'dist')) + 1000)
    log('WARNING: src/ is newer than dist/: run `npm run build` or the figures are for an older colo');

  const machine = await machineInfo();
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trimEnd(); // porcelain lines start with a space
    } catch {
      return '';
    }
  };
  const report: Report = {
    generatedAt: new Date().toISOString(),
    colo: {
      commit: git('rev-parse', '--short', 'HEAD').trim() || 'unknown',
      srcChanges: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean),
    },
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    runs: args.runs,
    loop: args.loop,
    machine,
    loadBefore: await loadSnapshot(),
    benchmarks: [],
  };
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} CPUs, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ` +
      `${machine.node}, ${machine.qemu}`,
  );
  log(`load average before: ${loadLine(report.loadBefore)}`);
  const ctx: BenchContext = { runs: args.runs, loop: args.loop, log };
  let failed = 0;
  for (const b of selected) {
    log(`=== ${b.name}: ${b.title}`);
    const loadBefore = await loadSnapshot();
    const t0 = performance.now();
    let result: BenchResult;
    let error: string | undefined;
    try {
      result = await b.run(ctx);
    } catch (e) {
      error = (e as Error).stack ?? String(e);
      failed++;
      log(`${b.name} FAILED: ${error}`);
      result = { metrics: [], goals: [], notes: [], runs: [] };
    }
    const out: BenchOut = {
      name: b.name,
      title: b.title,
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
      loadBefore,
      loadAfter: await loadSnapshot(),
      metrics: result.metrics.map((x) => ({ ...x, ...summarize(x.samples) })),
      goals: result.goals,
      notes: result.notes,
      runs: result.runs,
      ...(result.skipped ? { skipped: result.skipped } : {}),
      ...(error ? { error } : {}),
    };
    if (out.skipped) log(`${b.name}: ${out.skipped}`);
    report.benchmarks.push(out);
    report.loadAfter = out.loadAfter;
    await save(args.outDir, report);
  }
  process.stdout.write(`${markdown(report)}\n`);
  const all = selected.length === BENCHMARKS.length && failed === 0;
  if (args.doc && all) {
    const doc = existsSync(DOC) ? await readFile(DOC, 'utf8') : '';
    const a = doc.indexOf(DOC_START);
    const b = doc.indexOf(DOC_END);
    if (a >= 0 && b > a) {
      const rel = path.relative(ROOT, path.join(args.outDir, 'latest.json'));
      await writeFileAtomic(
        DOC,
        `${doc.slice(0, a + DOC_START.length)}\n\n${markdown(report).replace(/^### /gm, '#### ')}\n\nEvery ` +
          `sample and per-run record: \`${rel}\`.\n\n${doc.slice(b)}`,
        { mode: 0o644 },
      );
      log('BENCHMARKS.md: results block rewritten');
    } else log('BENCHMARKS.md has no results markers: not updated');
  } else if (args.doc && failed === 0) {
    // A partial run rewrites only the blocks of its own benchmarks (`bench:results:NAME:start/end`),
    // so the full run's block and every other benchmark's figures stay as they were.
    let doc = existsSync(DOC) ? await readFile(DOC, 'utf8') : '';
    const written: string[] = [];
    for (const b of report.benchmarks) {
      const [start, end] = [`<!-- bench:results:${b.name}:start -->`, `<!-- bench:results:${b.name}:end -->`];
      const i = doc.indexOf(start);
      const j = doc.indexOf(end);
      if (i < 0 || j < i) continue;
      const one = markdown({ ...report, benchmarks: [b] }).replace(/^### /gm, '#### ');
      doc = `${doc.slice(0, i + start.length)}\n\n${one}\n\n${doc.slice(j)}`;
      written.push(b.name);
    }
    if (written.length > 0) {
      await writeFileAtomic(DOC, doc, { mode: 0o644 });
      log(`BENCHMARKS.md: results block(s) of ${written.join(', ')} rewritten`);
    } else log('BENCHMARKS.md not updated (a partial run rewrites only blocks marked bench:results:NAME:start)');
  } else if (args.doc) log('BENCHMARKS.md not updated (a run with failures rewrites no results)');
  log(
    `results: ${path.relative(process.cwd(), path.join(args.outDir, 'latest.json'))}, ` +
      `${path.relative(process.cwd(), path.join(args.outDir, 'latest.md'))}`,
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exitCode = 1;
});
