/** src/plan/plan-target.ts: a plan limited to some VMs (the drill's re-protection plans one pair). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { targetPlan } from '../../../src/plan/plan-target.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
import { downHost, obsHost, observation, plan, state, vmState, webSpec } from './plan-fixtures.ts';

const gone = (host: string): ObservedQemu => ({ host, alive: false });

describe('targetPlan', () => {
  const spec = webSpec({ withApi: true });
  const full = plan(
    spec,
    state({ web: vmState(), api: vmState() }),
    observation([obsHost('alpha', { workDirExists: false }), obsHost('beta')], {
      web: [gone('alpha'), gone('beta')],
      api: [gone('alpha'), gone('beta')],
    }),
  );

  test('only the target VM steps, and the host preparation', () => {
    assert.ok(full.steps.some((s) => s.vm === 'api') && full.steps.some((s) => s.vm === 'web'));
    const web = targetPlan(full, ['web']);
    assert.ok(web.steps.length > 0);
    assert.ok(web.steps.every((s) => s.vm === 'web' || (s.vm === undefined && s.kind === 'host-prepare')));
    assert.deepEqual(
      web.steps.filter((s) => s.vm === undefined).map((s) => s.address),
      full.steps.filter((s) => s.vm === undefined).map((s) => s.address),
    );
    assert.deepEqual(
      web.steps.filter((s) => s.vm === 'web'),
      full.steps.filter((s) => s.vm === 'web'),
    );
  });

  test('the plan given is left as it is', () => {
    const before = JSON.stringify(full);
    targetPlan(full, ['web']);
    assert.equal(JSON.stringify(full), before);
  });

  test('blocked pairs of other VMs are left out', () => {
    const p = plan(
      spec,
      state({ web: vmState(), api: vmState() }),
      observation([obsHost('alpha'), downHost('beta')], { web: [gone('alpha')], api: [gone('alpha')] }),
    );
    assert.deepEqual(p.blocked.map((b) => b.vm).sort(), ['api', 'web']);
    assert.deepEqual(
      targetPlan(p, ['api']).blocked.map((b) => b.vm),
      ['api'],
    );
  });
});
