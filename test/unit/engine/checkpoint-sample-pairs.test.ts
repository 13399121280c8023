import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coloPairs } from '../../../src/engine/checkpoint-sample.ts';
import type { Session } from '../../../src/engine/session.ts';
import { healthyWeb, state, vmState, webSpec } from '../plan/plan-fixtures.ts';

// Found by test/e2e/hung-peer.test.ts: with the secondary SIGSTOPped, `colo status` listened 3 s for
// checkpoints that could not come and took 4.6 s instead of about the health deadline.
describe('the pairs colo listens to for checkpoints', () => {
  const spec = webSpec();
  const session = { spec } as unknown as Session;
  const st = state({ web: vmState() });
  const listened = (obs: ReturnType<typeof healthyWeb>) => coloPairs(session, st, obs).map((t) => t.vm.name);

  test('a pair in COLO with a secondary that answers', () => {
    assert.deepEqual(listened(healthyWeb(spec)), ['web']);
  });

  test('not when the secondary is hung, unanswered, gone or its host unreachable', () => {
    assert.deepEqual(listened(healthyWeb(spec, {}, { hung: { deadlineMs: 500 }, qmpError: 'timed out' })), []);
    assert.deepEqual(listened(healthyWeb(spec, {}, { qmpError: 'connection refused' })), []);
    assert.deepEqual(listened(healthyWeb(spec, {}, { alive: false })), []);
    const cut = healthyWeb(spec);
    cut.hosts.beta = { ...cut.hosts.beta!, reachable: false };
    assert.deepEqual(listened(cut), []);
  });
});
