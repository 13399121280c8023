/**
 * What colo shows of a running pair (issue 15): checkpoint counts that grow in `colo status
 * --json`, pause figures that agree with QEMU's own trace and with the silence a client of the guest
 * sees, a forced mismatch (the guest's /cgi-bin/noise answers differently on each side) shown as a
 * storm with the advice in status, plan and verify, and `colo metrics --listen` scraped over HTTP and
 * read by Prometheus's parser (promtool), its counters never going down, a scrape bounded by its
 * timeout even when a host never answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { colo, COLO_BIN, httpGet, startLab, type TestLab } from '../helpers/lab.ts';
import { qemuTrace, runstates, TRACE_ARGS } from '../helpers/witness.ts';
import { median, probeSilence, quietLatencies, silenceAround, type Pause } from '../helpers/silence.ts';
import { promtoolCheck } from '../helpers/promtool.ts';

interface Figures {
  total: number | null;
  sampled: number;
  sampledMs: number;
  pause: { lastMs: number; p50Ms: number; p95Ms: number; maxMs: number; count: number } | null;
  triggers: { timer: number; forced: number; unclassified: number } | null;
}
interface StatusPair {
  vm: string;
  health: string;
  figures: Figures | null;
  advice: { kind: string; message: string }[];
}

const pairOf = (stdout: string): StatusPair => (JSON.parse(stdout) as { vms: StatusPair[] }).vms[0]!;

/** The checkpoints of the primary by QEMU's trace: running -> colo, then colo -> running. */
async function tracePauses(lab: TestLab, fromMs: number, toMs: number): Promise<Pause[]> {
  const rs = runstates(await qemuTrace(lab, 'alpha'));
  const out: Pause[] = [];
  for (let i = 0; i + 1 < rs.length; i++) {
    const a = rs[i]!;
    const b = rs[i + 1]!;
    if (a.from === 'running' && a.to === 'colo' && b.from === 'colo' && b.to === 'running' && a.ms >= fromMs)
      if (b.ms <= toMs) out.push({ stopMs: a.ms, resumeMs: b.ms });
  }
  return out;
}

/** Samples of a Prometheus text: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split('\n')) {
    const x = /^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(l);
    if (x) m.set(x[1]!, Number(x[2]));
  }
  return m;
}

function startMetrics(args: string[]): { child: ChildProcess; url: Promise<string>; stderr: () => string } {
  const child = spawn(process.execPath, [COLO_BIN, 'metrics', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
  });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const u = /serving (http:\/\/\S+)/.exec(err);
      if (u) resolve(u[1]!);
    });
    child.on('close', (code) => reject(new Error(`colo metrics exited ${code}: ${err}`)));
  });
  url.catch(() => undefined);
  return { child, url, stderr: () => err };
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const t = setTimeout(() => reject(new Error('did not exit')), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe('observability of a running pair', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let port: number;

  before(async () => {
    lab = await startLab({ trace: TRACE_ARGS });
    port = lab.vms[0]!.servicePort;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  test('checkpoint counts grow in colo status --json, and in every refresh of --watch --json', async () => {
    const a = pairOf((await colo(['status', '-f', lab.spec, '--json', '--sample', '0s'])).stdout);
    await new Promise((r) => setTimeout(r, 4500));
    const b = pairOf((await colo(['status', '-f', lab.spec, '--json', '--sample', '0s'])).stdout);
    assert.equal(a.health, 'protected');
    assert.ok(a.figures && a.figures.total !== null && a.figures.total >= 1, JSON.stringify(a.figures));
    assert.ok(
      b.figures!.total! >= a.figures.total! + 2,
      `interval 2 s, 4.5 s later: ${a.figures.total} -> ${b.figures!.total}`,
    );
    const w = await colo([
      'status',
      '-f',
      lab.spec,
      '--json',
      '--watch',
      '--count',
      '3',
      '--interval',
      '3s',
      '--sample',
      '1s',
    ]);
    assert.equal(w.code, 0, w.stderr);
    const totals = w.stdout
      .trim()
      .split('\n')
      .map((l) => pairOf(l).figures!.total!);
    assert.equal(totals.length, 3, w.stdout);
    assert.ok(totals[0]! >= b.figures!.total!);
    assert.ok(totals[0]! < totals[1]! && totals[1]! < totals[2]!, `--watch totals: ${totals.join(', ')}`);
  });

  test("the pauses colo reports are QEMU's, and agree with the silence a client sees", async () => {
    const probe = probeSilence('127.0.0.11', port, 4);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const s = await colo(['status', '-f', lab.spec, '--json', '--sample', '10s']);
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    const records = await probe.stop();
    assert.equal(s.code, 0, s.stderr);
    const f = pairOf(s.stdout).figures!;
    const pauses = await tracePauses(lab, t0, t1);
    assert.ok(f.pause && f.pause.count >= 3, `colo saw ${f.pause?.count} pauses in 10 s`);
    assert.ok(pauses.length >= f.pause.count, `the trace has ${pauses.length}, colo ${f.pause.count}`);
    const traced = pauses.map((p) => p.resumeMs - p.stopMs);
    // colo's figures are QEMU's event timestamps; the trace is QEMU's log of the same runstate changes
    for (const [what, v] of [
      ['last', f.pause.lastMs],
      ['max', f.pause.maxMs],
      ['p50', f.pause.p50Ms],
    ] as const)
      assert.ok(
        traced.some((t) => Math.abs(t - v) <= 1.5),
        `colo's ${what} pause ${v} ms is not one of the trace's: ${traced.map((t) => t.toFixed(1)).join(', ')}`,
      );
    const silences = silenceAround(records, pauses);
    const quiet = quietLatencies(records, pauses);
    const rows = pauses.map((p, i) => `${(p.resumeMs - p.stopMs).toFixed(1)}/${silences[i]?.toFixed(1)}`);
    process.stderr.write(
      `pause/silence ms: ${rows.join(' ')}; requests ${records.length}, latency p50 away from checkpoints ` +
        `${median(quiet).toFixed(1)}; colo p50 ${f.pause.p50Ms} p95 ${f.pause.p95Ms}\n`,
    );
    // The stated margin (README, BENCHMARKS.md): a client sees at least the pause (10 ms of jitter
    // allowed) and at most the pause plus the time to answer the requests that waited for it: 150 ms
    // in the median, 500 ms for any one checkpoint.
    const excess = pauses.map((p, i) => {
      const silence = silences[i];
      assert.ok(silence !== null && silence !== undefined, `no request around the checkpoint ${i}`);
      const pause = p.resumeMs - p.stopMs;
      assert.ok(silence >= pause - 10, `checkpoint ${i}: silence ${silence} ms shorter than its pause ${pause} ms`);
      assert.ok(silence <= pause + 500, `checkpoint ${i}: silence ${silence} ms > pause ${pause} + 500 ms`);
      return silence - pause;
    });
    assert.ok(median(excess) <= 150, `median silence - pause ${median(excess)} ms > 150 ms`);
    const clientP50 = median(silences.filter((x): x is number => x !== null));
    assert.ok(
      clientP50 >= f.pause.p50Ms - 10 && clientP50 <= f.pause.p50Ms + 150,
      `colo's p50 pause ${f.pause.p50Ms} ms vs the client's median silence ${clientP50} ms`,
    );
  });

  test('a service that answers differently on each side: a storm, advised by status, plan, verify', async () => {
    const a = await httpGet('127.0.0.11', port, 5000, '/cgi-bin/noise');
    assert.match(a, /^noise now=\d+ random=[0-9a-f]{32}$/m);
    let stop = false;
    const hammer = [0, 1].map(async () => {
      while (!stop) await httpGet('127.0.0.11', port, 10_000, '/cgi-bin/noise').catch(() => undefined);
    });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const s = await colo(['status', '-f', lab.spec, '--json', '--sample', '4s']);
      const p = pairOf(s.stdout);
      assert.deepEqual(
        p.advice.map((x) => x.kind),
        ['checkpoint-storm'],
        JSON.stringify(p.figures),
      );
      assert.ok(p.figures!.triggers!.forced >= 3, JSON.stringify(p.figures!.triggers));
      assert.match(p.advice[0]!.message, /not deterministic/);
      const human = await colo(['status', '-f', lab.spec, '--sample', '4s']);
      assert.match(human.stdout, /advice: web: checkpoint storm: \d+ checkpoints in/);
      assert.match(human.stdout, /compare_timeout, now 3000 ms/);
      const plan = await colo(['plan', '-f', lab.spec, '--sample', '4s']);
      assert.match(plan.stdout, /Advice: web: checkpoint storm/);
      assert.match(plan.stdout, /No changes\./);
      const verify = await colo(['verify', '-f', lab.spec, '--probe', 'none', '--sample', '4s']);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /advice: web: checkpoint storm/);
    } finally {
      stop = true;
      await Promise.all(hammer);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const calm = pairOf((await colo(['status', '-f', lab.spec, '--json', '--sample', '5s'])).stdout);
    assert.deepEqual(calm.advice, [], 'no storm once the noise stops');
  });

  test('colo metrics --listen: two scrapes, promtool accepts both, counters never go down', async () => {
    const m = startMetrics(['-f', lab.spec, '--listen', '127.0.0.1:0', '--interval', '3s', '--sample', '1s']);
    try {
      const url = await m.url;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const first = await (await fetch(url)).text();
      await new Promise((r) => setTimeout(r, 7000));
      const res = await fetch(url);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      const second = await res.text();
      for (const text of [first, second]) assert.deepEqual(promtoolCheck(text), { code: 0, output: '' });
      const a = samples(first);
      const b = samples(second);
      assert.ok((a.get('colo_checkpoints_total{vm="web"}') ?? 0) > 0, first);
      assert.ok(b.get('colo_checkpoints_total{vm="web"}')! > a.get('colo_checkpoints_total{vm="web"}')!);
      assert.ok(b.get('colo_collections_total{result="ok"}')! >= 3, second);
      assert.ok(b.get('colo_checkpoint_pause_seconds_count{vm="web"}')! >= 1, second);
      assert.equal(b.get('colo_pair_state{vm="web",state="protected"}'), 1);
      for (const [k, v] of a)
        if (/_total\{|_total$|_bucket\{|_count\{|_sum\{/.test(k))
          assert.ok((b.get(k) ?? -1) >= v, `${k} went down: ${v} -> ${b.get(k)}`);
      // between collections the QMP socket is free: another colo command gets through
      const st = await colo(['status', '-f', lab.spec, '--sample', '0s', '--lock-timeout', '10s']);
      assert.equal(st.code, 0, st.stderr);
    } finally {
      m.child.kill('SIGTERM');
    }
    assert.equal(await exited(m.child, 10_000), 0, m.stderr());
    assert.ok(!existsSync(path.join(path.dirname(lab.spec), '.colo', 'state.json.lock')), 'the lock is released');
  });

  test('a scrape answers within its timeout while the collection hangs on a host that never speaks', async () => {
    const hung: Server = createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.11', r));
    const dir = await mkdtemp(path.join(tmpdir(), 'colo-hung-'));
    const hungPort = (hung.address() as { port: number }).port;
    const alphaPort = /alpha:\n {4}ssh:\n {6}address: 127\.0\.0\.11\n {6}port: (\d+)/.exec(
      await readFile(lab.spec, 'utf8'),
    )?.[1];
    assert.ok(alphaPort, 'the lab spec names alpha ssh port');
    const spec = path.join(dir, 'colo.yaml');
    await writeFile(spec, (await readFile(lab.spec, 'utf8')).replace(`port: ${alphaPort}\n`, `port: ${hungPort}\n`));
    const m = startMetrics([
      '-f',
      spec,
      '--state',
      path.join(dir, 'state.json'),
      '--listen',
      '127.0.0.1:0',
      '--scrape-timeout',
      '1s',
    ]);
    try {
      const url = await m.url;
      const t0 = performance.now();
      const text = await (await fetch(url)).text();
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `the scrape took ${ms} ms`);
      assert.match(text, /^colo_collection_success 0$/m);
      assert.deepEqual(promtoolCheck(text), { code: 0, output: '' });
    } finally {
      m.child.kill('SIGTERM');
      hung.close();
    }
    assert.equal(await exited(m.child, 10_000), 0, m.stderr());
    await rm(dir, { recursive: true, force: true });
  });
});
