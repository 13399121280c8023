/**
 * colo's Prometheus text read by Prometheus's own parser and linter: `promtool check metrics`
 * (Debian's `prometheus` package, which .ci/run installs) must accept it without a word; and the
 * /metrics server (src/cli/metrics-http.ts) on 127.0.0.1 only: the right content type, 404 elsewhere,
 * and a scrape bounded by Prometheus's timeout header when the text is slow to come.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMetrics } from '../../src/ui/views/metrics/metrics-text.ts';
import { serveMetrics } from '../../src/cli/metrics-http.ts';
import { metricsFixture } from '../unit/ui/metrics-fixture.ts';
import { promtoolCheck } from '../helpers/promtool.ts';

describe('promtool check metrics', () => {
  test('accepts the exposition of a pair in a storm, with nothing to lint', () => {
    const r = promtoolCheck(renderMetrics(metricsFixture()));
    assert.equal(r.output, '');
    assert.equal(r.code, 0);
  });

  test('the check can fail: a counter without _total and a broken line are refused', () => {
    assert.equal(promtoolCheck('# HELP x a\n# TYPE x counter\nx 1\n').code, 3);
    assert.equal(promtoolCheck('colo_pair_state{vm="web" 1\n').code, 1);
  });
});

describe('the /metrics server', () => {
  test('serves the text on /metrics only, bound to the address given', async () => {
    const text = renderMetrics(metricsFixture());
    const { server, url } = await serveMetrics({ host: '127.0.0.1', port: 0 }, async () => text, 5000);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const a = server.address();
      assert.equal(typeof a === 'object' && a ? a.address : '', '127.0.0.1');
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(await res.text(), text);
      assert.equal((await fetch(url.replace('/metrics', '/'))).status, 404);
      assert.equal((await fetch(url, { method: 'POST' })).status, 405);
    } finally {
      server.close();
    }
  });

  test('a scrape waits no longer than the timeout Prometheus sends', async () => {
    let asked = -1;
    const { server, url } = await serveMetrics(
      { host: '127.0.0.1', port: 0 },
      (t) => {
        asked = t;
        return new Promise((r) => setTimeout(() => r('colo_collection_success 0\n'), t));
      },
      10_000,
    );
    try {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' } });
      await res.text();
      assert.equal(asked, 1400, 'the header, less 100 ms to answer');
      assert.ok(performance.now() - t0 < 3000);
    } finally {
      server.close();
    }
  });
});
