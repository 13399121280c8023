// announce-self after a failover, as rendered: in both directions, on the survivor, right after the
// promotion and before the survivor is verified, with the spec's parameters; none when the spec
// says announce: false. And run against a fake QEMU: a refused announce-self is a warning (the VM
// already runs on the survivor), not a failed failover. (Real QEMU accepting it: test/e2e/failover.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderAnnounce,
  renderFailoverToPrimary,
  renderFailoverToSecondary,
  renderVmRecipes,
} from '../../../src/render/recipes/index.ts';
import { initialPlacement } from '../../../src/render/placement.ts';
import { dialectForVersion } from '../../../src/render/dialect.ts';
import { announceSurvivor } from '../../../src/engine/steps/failover-qmp.ts';
import type { Recipe } from '../../../src/render/recipes/types.ts';
import type { VmSpec } from '../../../src/spec/types.ts';
import { FakeQemu } from '../engine/fake-qemu.ts';
import { fleetSpec, labSpec, onlyVm } from './spec-fixtures.ts';

const names = (rs: Recipe[]): string[] => rs.map((r) => r.name);
const sentCommands = (r: Recipe | undefined) =>
  r?.kind === 'qmp' ? r.ops.flatMap((o) => (o.op === 'send' ? o.steps.map((s) => s.command) : [])) : [];

describe('announce-self after a failover', () => {
  const spec = labSpec();
  const vm = onlyVm(spec);
  const p = initialPlacement(vm);

  test("both directions: on the survivor, after the promotion, before the verify, with the spec's parameters", () => {
    const toS = renderFailoverToSecondary(spec, vm, p);
    const toP = renderFailoverToPrimary(spec, vm, p);
    const args = { initial: 50, max: 550, rounds: 5, step: 100, id: 'colo' };
    assert.deepEqual(sentCommands(toS.announce), [{ execute: 'announce-self', arguments: args }]);
    assert.deepEqual(toS.announce?.hosts, { secondary: p.secondary });
    assert.equal(toS.announce?.role, 'secondary');
    assert.deepEqual(sentCommands(toP.announce), [{ execute: 'announce-self', arguments: args }]);
    assert.deepEqual(toP.announce?.hosts, { primary: p.primary });
    // `colo render` shows them in the order the failover runs them.
    const r = renderVmRecipes(spec, vm, {
      qemu: () => ({ dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }), kvmAvailable: false }),
    });
    const promoteS = r.failoverToSecondary.find((s) => s.step === 'promote')!;
    const promoteP = r.failoverToPrimary.find((s) => s.step === 'promote')!;
    assert.deepEqual(names(promoteS.recipes), [
      'yank-secondary',
      'promote-secondary',
      'announce-self',
      'survivor-verify',
    ]);
    assert.deepEqual(names(promoteP.recipes), [
      'yank-primary',
      'primary-leave-colo',
      'announce-self',
      'survivor-verify',
    ]);
  });

  test('custom parameters, and none at all with announce: false', () => {
    const custom: VmSpec = { ...vm, failover: { announce: { rounds: 8, initialMs: 0, maxMs: 1000, stepMs: 250 } } };
    assert.deepEqual(sentCommands(renderAnnounce(custom, 'b', 'secondary')), [
      { execute: 'announce-self', arguments: { initial: 0, max: 1000, rounds: 8, step: 250, id: 'colo' } },
    ]);
    const fleet = fleetSpec();
    const off = onlyVm(fleet); // failover: { announce: false }
    assert.equal(renderAnnounce(off, 'h2', 'secondary'), undefined);
    const po = initialPlacement(off);
    assert.equal(renderFailoverToSecondary(fleet, off, po).announce, undefined);
    assert.equal(renderFailoverToPrimary(fleet, off, po).announce, undefined);
    const r = renderVmRecipes(fleet, off, {
      qemu: () => ({ dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }), kvmAvailable: true }),
    });
    assert.deepEqual(names(r.failoverToSecondary.find((s) => s.step === 'promote')!.recipes), [
      'yank-secondary',
      'promote-secondary',
      'survivor-verify',
    ]);
  });

  test('run: sent and accepted; refused by QEMU: a warning with its error; off: nothing sent', async () => {
    const roles = { primary: p.primary, secondary: p.secondary, primaryOrigin: 'initial' };
    const ok = new FakeQemu();
    const okQmp = await ok.connect();
    assert.deepEqual(await announceSurvivor(okQmp, spec, vm, roles, 'secondary'), { state: 'sent', rounds: 5 });
    assert.deepEqual(
      ok.sent().map((c) => c.execute),
      ['announce-self'],
    );
    await okQmp.close();

    const refusing = new FakeQemu();
    refusing.failures['announce-self'] = [{ cls: 'GenericError', desc: 'announce refused' }];
    const refusingQmp = await refusing.connect();
    const outcome = await announceSurvivor(refusingQmp, spec, vm, roles, 'primary');
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.state === 'failed' ? outcome.error : '', /announce refused/);
    await refusingQmp.close();

    const off = new FakeQemu();
    const offQmp = await off.connect();
    const vmOff: VmSpec = { ...vm, failover: { announce: false } };
    assert.deepEqual(await announceSurvivor(offQmp, spec, vmOff, roles, 'secondary'), { state: 'off' });
    assert.deepEqual(off.sent(), []);
    await offQmp.close();
  });
});
