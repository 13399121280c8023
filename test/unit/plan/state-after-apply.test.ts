/**
 * What apply leaves in the state (src/plan/state-after-apply.ts): which pairs leave it, on plans
 * from the real planner, and where a pair stands after a failed step.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describePairState, vmsLeavingState } from '../../../src/plan/state-after-apply.ts';
import {
  downHost,
  healthyPrimary,
  healthySecondary,
  healthyWeb,
  obsHost,
  observation,
  plan,
  state,
  vmOf,
  vmState,
  webSpec,
} from './plan-fixtures.ts';

describe('vmsLeavingState', () => {
  test('destroy: every pair it destroyed', () => {
    const st = state({ web: vmState() });
    const p = plan(webSpec(), st, healthyWeb(webSpec()), 'destroy');
    assert.ok(p.steps.length > 0);
    assert.deepEqual(vmsLeavingState(p, st, []), ['web']);
  });

  test('destroy: a pair whose step failed stays', () => {
    const st = state({ web: vmState() });
    const p = plan(webSpec(), st, healthyWeb(webSpec()), 'destroy');
    assert.deepEqual(vmsLeavingState(p, st, ['web']), []);
  });

  test('destroy with a host down: the blocked pair stays', () => {
    const spec = webSpec();
    const st = state({ web: vmState() });
    const obs = observation([obsHost('alpha'), downHost('beta')], {
      web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta')],
    });
    const p = plan(spec, st, obs, 'destroy');
    assert.deepEqual(
      p.blocked.map((b) => b.vm),
      ['web'],
    );
    assert.deepEqual(vmsLeavingState(p, st, []), []);
  });

  test('a VM no longer in the spec leaves once its steps ran; the others stay', () => {
    const spec = webSpec({ withApi: true, withoutWeb: true });
    const api = vmOf(spec, 'api');
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
      web: [
        { host: 'alpha', alive: true, pid: 4242 },
        { host: 'beta', alive: true, pid: 5151 },
      ],
    });
    const st = state({ web: vmState(), api: vmState({ created: {} }) });
    const p = plan(spec, st, obs);
    assert.ok(p.steps.some((s) => s.vm === 'web'));
    assert.deepEqual(vmsLeavingState(p, st, []), ['web']);
    assert.deepEqual(vmsLeavingState(p, st, ['web']), [], 'not when one of its steps failed');
  });

  test('a normal apply of the spec removes nothing', () => {
    const st = state({ web: vmState() });
    const p = plan(webSpec({ memory: '256M' }), st, healthyWeb(webSpec()));
    assert.ok(p.steps.length > 0);
    assert.deepEqual(vmsLeavingState(p, st, []), []);
  });
});

describe('describePairState', () => {
  test('the QEMUs colo started and the status', () => {
    const st = state({
      web: vmState({
        status: 'failed',
        started: { alpha: { role: 'primary', argvHash: 'x', pid: 4242, at: '2026-02-03T04:05:06.000Z' } },
      }),
    });
    assert.equal(describePairState('web', st), 'primary QEMU running on alpha (pid 4242); status failed');
  });

  test('nothing started', () => {
    assert.equal(
      describePairState('web', state({ web: vmState({ started: {} }) })),
      'no QEMU started by colo; status protected',
    );
    assert.equal(describePairState('api', state({})), 'nothing was started for it');
  });
});
