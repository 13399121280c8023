/**
 * A switchover colo lost contact with (SSH cut while QEMU copied the RAM) goes on into COLO without
 * colo: the pair then looks protected, but the resync mirror still runs on the primary and colo never
 * checked it was in step. The planner must not call that "No changes" (seen on real QEMU by
 * test/e2e/interrupted-switchover.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthyPrimary, healthyWeb, plan, state, stepLines, vmOf, vmState, webSpec } from './plan-fixtures.ts';

test('a resync mirror left on a primary in COLO is planned away (re-protect), not "No changes"', () => {
  const spec = webSpec();
  const vm = vmOf(spec);
  const left = [...healthyPrimary(spec, vm, 'alpha', 'beta').blockNodes!, 'resync-disk0', 'resync-nbd-disk0'];
  const p = plan(spec, state({ web: vmState({ status: 'failed' }) }), healthyWeb(spec, { blockNodes: left }));
  assert.match(
    p.drift.map((d) => d.description).join('\n'),
    /the resync mirror of an interrupted switchover is still there on the primary \(resync-disk0, resync-nbd-disk0\)/,
  );
  assert.deepEqual(stepLines(p), [
    'update primary-leave-colo alpha vm.web.primary',
    'replace secondary-stop beta vm.web.secondary',
    'create secondary-images beta vm.web.secondary.images',
    'create secondary-start beta vm.web.secondary.qemu',
    'create colo-start alpha vm.web.colo',
  ]);
  // without the leftovers the same pair is healthy
  assert.deepEqual(plan(spec, state({ web: vmState() }), healthyWeb(spec)).steps, []);
});
