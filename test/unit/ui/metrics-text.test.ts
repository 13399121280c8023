/**
 * `colo metrics` text (src/ui/views/metrics/metrics-text.ts) and its tallies
 * (src/plan/checkpoint-tally.ts): the exposition pinned as a golden file, label escaping, counters
 * that only grow from one collection to the next, the --listen address. The real Prometheus parser
 * (promtool) reads this output in test/integration/metrics-promtool.test.ts and the e2e test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addToTally, PAUSE_BUCKETS_S } from '../../../src/plan/checkpoint-tally.ts';
import { escapeLabel, renderMetrics } from '../../../src/ui/views/metrics/metrics-text.ts';
import { parseListen } from '../../../src/cli/metrics-http.ts';
import { expectGolden } from '../../helpers/golden.ts';
import { collection, metricsFixture, T0 } from './metrics-fixture.ts';

describe('colo metrics text', () => {
  test('the exposition of a pair in a storm after two collections (golden)', async () => {
    const text = renderMetrics(metricsFixture());
    await expectGolden('metrics/storm.prom', text);
    assert.match(text, /^colo_checkpoints_total\{vm="web"\} 42$/m);
    assert.match(text, /^colo_checkpoint_pause_seconds_count\{vm="web"\} 14$/m);
    assert.match(text, /^colo_checkpoint_pause_seconds_bucket\{vm="web",le="0.05"\} 2$/m);
    assert.match(text, /^colo_checkpoint_pause_seconds_bucket\{vm="web",le="0.25"\} 14$/m);
    assert.match(text, /^colo_checkpoint_triggers_total\{vm="web",trigger="forced"\} 11$/m);
    assert.match(text, /^colo_advice\{vm="web",kind="checkpoint-storm"\} 1$/m);
    assert.match(text, /^colo_failovers_total\{vm="web"\} 2$/m);
    assert.match(text, /^colo_pair_state\{vm="web",state="protected"\} 1$/m);
    for (const name of text.matchAll(/^# TYPE (\S+) counter$/gm)) assert.match(name[1]!, /_total$/);
  });

  test('before any collection: only the collection families, success 0', () => {
    const text = renderMetrics({
      statuses: [],
      tallies: {},
      hosts: [],
      last: null,
      success: false,
      collections: { ok: 0, skipped: 0, failed: 1 },
    });
    assert.match(text, /^colo_collection_success 0$/m);
    assert.match(text, /^colo_collections_total\{result="failed"\} 1$/m);
    assert.doesNotMatch(text, /colo_checkpoints_total/);
  });

  test('label values are escaped', () => {
    assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  });

  test('the tallies only grow: buckets, count, sum and triggers from one collection to the next', () => {
    let t = addToTally(undefined, collection(T0, 3, 2000, 60, 0));
    for (let i = 1; i < 5; i++) {
      const next = addToTally(t, collection(T0 + i * 15_000, i, 300, 40 * i, 10 * i));
      next.buckets.forEach((n, j) => assert.ok(n >= t.buckets[j]!, `bucket ${PAUSE_BUCKETS_S[j]}`));
      assert.ok(next.count >= t.count && next.sumSeconds >= t.sumSeconds);
      for (const k of ['timer', 'forced', 'unclassified'] as const) assert.ok(next.triggers[k] >= t.triggers[k]);
      assert.equal(next.buckets[next.buckets.length - 1], next.count, 'no pause over 10 s: the last bucket holds all');
      t = next;
    }
  });
});

describe('--listen ADDRESS:PORT', () => {
  test('IPv4, a name, IPv6 in brackets; anything else is refused with an example', () => {
    assert.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:99999', ':9464', '::1:9464', 'a b:1'])
      assert.throws(() => parseListen(bad), /--listen: .* is not ADDRESS:PORT \(examples: 127\.0\.0\.1:9464/);
  });
});
