/**
 * Checkpoint figures from samples (src/plan/migration-counters.ts, checkpoint-figures.ts,
 * checkpoint-history.ts, checkpoint-advice.ts): the kernel's byte counts of the migration
 * connection, the STOP/RESUME windows, the advice. The `ss` text is what `ss -tinpH` printed for a
 * lab pair in COLO (QEMU 7.2).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointsFromReturnPath, parseCounterOutput, readCounters } from '../../../src/plan/migration-counters.ts';
import {
  checkpointFigures,
  forcedBelowMs,
  percentile,
  type CheckpointWindow,
  type FiguresInput,
} from '../../../src/plan/checkpoint-figures.ts';
import { mergeSamples } from '../../../src/plan/checkpoint-history.ts';
import { checkpointAdvice } from '../../../src/plan/checkpoint-advice.ts';
import { counterTarget, renderMigrationCounters } from '../../../src/render/recipes/migration-counters.ts';
import { scriptArgv } from '../../../src/render/recipes/script-argv.ts';
import { vmOf, webSpec } from './plan-fixtures.ts';

const SS_PRIMARY =
  '0      0       127.0.0.1:56392 127.0.0.12:34164 users:(("qemu-system-x86",pid=14102,fd=21))\n' +
  '\t bbr wscale:10,10 rto:204 rtt:0.531/0.862 ato:40 mss:65483 cwnd:12 ssthresh:8 bytes_sent:104221390 ' +
  'bytes_retrans:573493 bytes_acked:103647898 bytes_received:76 segs_out:1782 segs_in:858 data_segs_out:1761\n';

describe('the migration connection counters', () => {
  test('one socket: bytes acked and received; 76 bytes back = 6 checkpoints (4 + 12 x 6)', () => {
    const r = readCounters(SS_PRIMARY, undefined);
    assert.deepEqual(r, { ok: true, reading: { bytesAcked: 103647898, bytesReceived: 76 } });
    assert.deepEqual(checkpointsFromReturnPath(76), { count: 6 });
    assert.deepEqual(checkpointsFromReturnPath(4), { count: 0 }, 'checkpoint-ready only');
    assert.deepEqual(checkpointsFromReturnPath(0), { count: 0 });
    assert.deepEqual(checkpointsFromReturnPath(84), { count: 6 }, 'a checkpoint under way is not counted');
    const odd = checkpointsFromReturnPath(77);
    assert.equal(odd.count, null);
    assert.match((odd as { reason: string }).reason, /not a whole number of 4-byte COLO messages/);
  });

  test('several sockets: the primary pid picks one; without it, ambiguous; none: a reason', () => {
    const other = SS_PRIMARY.replace('pid=14102', 'pid=999').replace('bytes_received:76', 'bytes_received:16');
    assert.deepEqual(readCounters(SS_PRIMARY + other, 999), {
      ok: true,
      reading: { bytesAcked: 103647898, bytesReceived: 16 },
    });
    assert.match((readCounters(SS_PRIMARY + other, undefined) as { reason: string }).reason, /ambiguous/);
    assert.match((readCounters('', 1) as { reason: string }).reason, /no established migration connection/);
  });

  test('the script output: a line per VM, base64; ss missing gives nothing', () => {
    const out = `mig web ${Buffer.from(SS_PRIMARY).toString('base64')}\nmig api \n`;
    const parsed = parseCounterOutput(out, { web: 14102 });
    assert.equal(parsed['web']?.ok, true);
    assert.equal(parsed['api']?.ok, false);
    assert.deepEqual(parseCounterOutput('ss-missing\n', {}), {});
  });

  test('the recipe: a fixed script, values as positional parameters, the secondary address and port', () => {
    const spec = webSpec();
    const vm = vmOf(spec);
    const t = counterTarget(spec, vm, 'beta');
    assert.equal(t.port, vm.ports.migration);
    const r = renderMigrationCounters('alpha', [t]);
    const argv = scriptArgv(r.body, {});
    assert.equal(r.host, 'alpha');
    assert.ok(argv.includes(String(vm.ports.migration)));
    assert.ok(!r.body.kind || r.body.kind === 'script');
    if (r.body.kind === 'script') assert.doesNotMatch(r.body.text, new RegExp(String(vm.ports.migration)));
  });
});

const T0 = 1_800_000_000_000;
const win = (stops: number[], pauseMs: number, endPad = 500): CheckpointWindow => ({
  startMs: T0,
  endMs: T0 + (stops[stops.length - 1] ?? 0) + endPad,
  checkpoints: stops.map((s) => ({ stopMs: T0 + s, resumeMs: T0 + s + pauseMs })),
});
const reading = (atMs: number, n: number, bytesEach = 1_000_000, extra = 0) => ({
  atMs,
  result: {
    ok: true as const,
    reading: { bytesAcked: 50_000_000 + n * bytesEach, bytesReceived: 4 + 12 * n + extra },
  },
});

describe('checkpoint figures', () => {
  test('timer checkpoints: exact total, rate, pauses, bytes per checkpoint, triggers', () => {
    const input: FiguresInput = {
      intervalMs: 2000,
      tls: false,
      windows: [win([100, 2110, 4105], 50)],
      readings: [reading(T0, 10), reading(T0 + 4605, 13)],
    };
    const f = checkpointFigures(input);
    assert.equal(f.total, 13);
    assert.equal(f.sampled, 3);
    assert.equal(f.sampledMs, 4605);
    assert.equal(f.perMinute, 39.1);
    assert.deepEqual(f.pause, { lastMs: 50, p50Ms: 50, p95Ms: 50, maxMs: 50, count: 3 });
    assert.equal(f.stoppedPercent, 3.3);
    assert.equal(f.bytesPerCheckpoint, 1_000_000);
    assert.deepEqual(f.triggers, { timer: 2, forced: 0, unclassified: 1 });
    assert.deepEqual(checkpointAdvice('web', f, { intervalMs: 2000, compareTimeoutMs: 3000 }), []);
  });

  test('a RESUME after the window is not a pause; a reading during a checkpoint is not used for bytes', () => {
    const w = win([100, 2100], 60);
    w.checkpoints[1]!.resumeMs = null;
    const f = checkpointFigures({
      intervalMs: 2000,
      tls: false,
      windows: [w],
      readings: [reading(T0, 10), reading(T0 + 1000, 11, 1_000_000, 8), reading(T0 + 2600, 12)],
    });
    assert.equal(f.sampled, 2);
    assert.equal(f.pause?.count, 1);
    assert.equal(f.bytesPerCheckpoint, 1_000_000);
  });

  test('percentiles by nearest rank', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 10);
    assert.equal(percentile(xs, 95), 19);
    assert.equal(percentile([7], 95), 7);
  });

  test('the forced threshold: 10% of the interval, at least 20 ms', () => {
    assert.equal(forcedBelowMs(2000), 1800);
    assert.equal(forcedBelowMs(100), 80);
  });

  test('TLS or no reading: the total is null with the reason; the events still give rate and pauses', () => {
    const tls = checkpointFigures({
      intervalMs: 2000,
      tls: true,
      windows: [win([0, 2000], 40)],
      readings: [reading(T0, 5)],
    });
    assert.equal(tls.total, null);
    assert.match(tls.totalUnavailable ?? '', /encrypted/);
    assert.equal(tls.bytesPerCheckpoint, null);
    assert.equal(tls.sampled, 2);
    const none = checkpointFigures({ intervalMs: null, tls: false, windows: [], readings: [] });
    assert.equal(none.total, null);
    assert.equal(none.perMinute, null);
    assert.equal(none.triggers, null);
  });

  test('a mismatch storm: forced checkpoints, the storm advice naming what to tune', () => {
    const stops = Array.from({ length: 15 }, (_, i) => i * 180);
    const f = checkpointFigures({
      intervalMs: 2000,
      tls: false,
      windows: [win(stops, 90, 300)],
      readings: [reading(T0, 100, 200_000), reading(T0 + 2820, 115, 200_000)],
    });
    assert.deepEqual(f.triggers, { timer: 0, forced: 14, unclassified: 1 });
    const advice = checkpointAdvice('web', f, { intervalMs: 2000, compareTimeoutMs: 3000 });
    assert.deepEqual(
      advice.map((a) => a.kind),
      ['checkpoint-storm'],
    );
    assert.match(advice[0]!.message, /^web: checkpoint storm: 15 checkpoints in 2\.8 s/);
    assert.match(advice[0]!.message, /not deterministic/);
    assert.match(advice[0]!.message, /compare_timeout, now 3000 ms/);
    assert.match(advice[0]!.message, /x-checkpoint-delay/);
  });

  test('long pauses without a storm: the pause advice; two checkpoints are not a storm', () => {
    const f = checkpointFigures({
      intervalMs: 2000,
      tls: false,
      windows: [win([0, 2000], 450)],
      readings: [reading(T0, 1, 40_000_000), reading(T0 + 2500, 3, 40_000_000)],
    });
    const advice = checkpointAdvice('web', f, { intervalMs: 2000, compareTimeoutMs: 3000 });
    assert.deepEqual(
      advice.map((a) => a.kind),
      ['long-pauses'],
    );
    assert.match(advice[0]!.message, /p95 450 ms/);
    assert.match(advice[0]!.message, /38\.1 MiB sent per checkpoint/);
    assert.match(advice[0]!.message, /shorter checkpoint\.interval \(x-checkpoint-delay, now 2000 ms\)/);
  });
});

describe('the history of refreshes (--watch, metrics)', () => {
  const s = (startMs: number, n: number): FiguresInput => ({
    intervalMs: 2000,
    tls: false,
    windows: [{ startMs, endMs: startMs + 2000, checkpoints: [{ stopMs: startMs + 100, resumeMs: startMs + 150 }] }],
    readings: [reading(startMs, n), reading(startMs + 2000, n + 1)],
  });

  test('windows and readings accumulate; old ones drop out; a pair out of COLO is forgotten', () => {
    let h = mergeSamples({}, { web: s(T0, 10), api: s(T0, 1) }, T0 + 2000, 60_000);
    h = mergeSamples(h, { web: s(T0 + 5000, 12) }, T0 + 7000, 60_000);
    assert.deepEqual(Object.keys(h), ['web']);
    assert.equal(h['web']!.windows.length, 2);
    assert.equal(h['web']!.readings.length, 4);
    const f = checkpointFigures(h['web']!);
    assert.equal(f.sampled, 2);
    assert.equal(f.total, 13);
    h = mergeSamples(h, { web: s(T0 + 70_000, 40) }, T0 + 72_000, 60_000);
    assert.equal(h['web']!.windows.length, 1, 'older than a minute: dropped');
  });

  test('a total that went down (COLO started again) starts the readings afresh', () => {
    let h = mergeSamples({}, { web: s(T0, 100) }, T0 + 2000, 60_000);
    h = mergeSamples(h, { web: s(T0 + 5000, 2) }, T0 + 7000, 60_000);
    assert.deepEqual(
      h['web']!.readings.map((r) => (r.result.ok ? r.result.reading.bytesReceived : -1)),
      [4 + 24, 4 + 36],
    );
    assert.equal(h['web']!.windows.length, 1);
  });
});
