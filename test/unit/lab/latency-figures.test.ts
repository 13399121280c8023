/** The pure figures of the latency benchmark (bench/latency.bench.ts, bench/lib/http-load.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestGap, pausesOf, silencesOf } from '../../../bench/latency.bench.ts';
import { quantile } from '../../../bench/lib/http-load.ts';
import type { QmpEventRecord } from '../../../src/qmp/types.ts';

const ev = (event: string, atMs: number, seq: number): QmpEventRecord => ({
  event,
  seq,
  timestamp: { seconds: Math.floor(atMs / 1000), microseconds: (atMs % 1000) * 1000 },
});

test('quantile: nearest rank, NaN for nothing', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(quantile(xs, 0.5), 50);
  assert.equal(quantile(xs, 0.95), 95);
  assert.equal(quantile(xs, 0.99), 99);
  assert.equal(quantile(xs, 1), 100);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('pausesOf pairs each STOP with the next RESUME; silencesOf takes the stream gap spanning the RESUME', () => {
  const pauses = pausesOf([
    ev('RESUME', 900, 1), // a RESUME without a STOP before it is no pause
    ev('STOP', 1000, 2),
    ev('RESUME', 1050, 3),
    ev('STOP', 2000, 4),
    ev('RESUME', 2080, 5),
  ]);
  assert.deepEqual(pauses, [
    { stop: 1000, resume: 1050 },
    { stop: 2000, resume: 2080 },
  ]);
  const lines = [900, 1000, 1130, 1230, 1950, 2150].map((atMs) => ({ atMs }));
  assert.deepEqual(silencesOf(pauses, lines), [
    { pauseMs: 50, silenceMs: 130 },
    { pauseMs: 80, silenceMs: 200 },
  ]);
  assert.equal(longestGap(lines, 0), 720);
  assert.equal(longestGap(lines, 1500), 720); // the gap ending at 1950 counts from `since`
  assert.equal(longestGap(lines, 2000), 200);
  assert.equal(longestGap(lines, 0, 1100), 130);
});
