/** src/plan/expectation.ts: what a healthy pair looks like, derived from the renderers. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pairExpectation } from '../../../src/plan/expectation.ts';
import { renderPrimaryArgv, renderSecondaryArgv } from '../../../src/render/argv.ts';
import { dialectForVersion } from '../../../src/render/dialect.ts';
import { loadYaml, primaryArgv, secondaryArgv, vmOf, webSpec } from './plan-fixtures.ts';

describe('pairExpectation', () => {
  const spec = webSpec({ withApi: true });
  const api = vmOf(spec, 'api');

  test('ids of the proxy objects, secondary filters, replication children and exports', () => {
    const exp = pairExpectation(spec, api, { primary: 'alpha', secondary: 'beta' }, {});
    assert.deepEqual(exp.primaryProxyObjects, ['m0-lan', 'redire0-lan', 'redire1-lan', 'iothread-lan', 'comp-lan']);
    assert.deepEqual(exp.secondaryFilterObjects, ['f1-lan', 'f2-lan', 'rew-lan']);
    assert.deepEqual(exp.replication, [
      { disk: 'root', quorum: 'colo-root', child: 'replication-root' },
      { disk: 'data', quorum: 'colo-data', child: 'replication-data' },
    ]);
    assert.deepEqual(exp.exports, ['root', 'data']);
    assert.deepEqual(exp.migrateParams, { 'x-checkpoint-delay': 2000 });
    assert.deepEqual(exp.compareProps, {
      'comp-lan': { compare_timeout: 3000, expired_scan_cycle: 3000, max_queue_size: 1024 },
    });
  });

  test('argv per host and role: the peer is always the other host of the pair', () => {
    const exp = pairExpectation(spec, api, { primary: 'alpha', secondary: 'beta' }, {});
    assert.deepEqual(exp.argv('alpha', 'primary'), primaryArgv(spec, api, 'alpha', 'beta'));
    assert.deepEqual(exp.argv('beta', 'secondary'), secondaryArgv(spec, api, 'beta', 'alpha'));
    // roles swapped by a failover: the same function answers for the new placement
    assert.deepEqual(exp.argv('beta', 'primary'), primaryArgv(spec, api, 'beta', 'alpha'));
    assert.deepEqual(exp.argv('alpha', 'secondary'), secondaryArgv(spec, api, 'alpha', 'beta'));
    assert.ok(exp.argv('beta', 'secondary').includes('-incoming'));
    assert.ok(!exp.argv('alpha', 'primary').includes('-incoming'));
  });

  test(
    'the roles passed in do not change the argv of a host/role (a promoted primary keeps its ' + 'secondary argv)',
    () => {
      const a = pairExpectation(spec, api, { primary: 'alpha', secondary: 'beta' }, {});
      const b = pairExpectation(spec, api, { primary: 'beta', secondary: 'alpha' }, {});
      assert.deepEqual(a.argv('beta', 'secondary'), b.argv('beta', 'secondary'));
      assert.deepEqual(a.argv('alpha', 'primary'), b.argv('alpha', 'primary'));
    },
  );

  test("host facts pick each host's dialect and KVM; QEMU 7.2 and no KVM without facts", () => {
    const auto = loadYaml(
      [
        'apiVersion: colo/v1',
        'hosts:',
        '  alpha: { ssh: { address: 127.0.0.11 } }',
        '  beta: { ssh: { address: 127.0.0.12 } }',
        'vms:',
        '  web:',
        '    primary: alpha',
        '    secondary: beta',
        '    disks: [ { id: disk0, image: /srv/web.qcow2, size: 64M } ]',
        '    netdevs: [ { id: net0, backend: user } ]',
        '',
      ].join('\n'),
    );
    const vm = vmOf(auto);
    assert.equal(vm.machine.accel, 'auto');
    const facts = { alpha: { qemuVersion: { major: 9, minor: 2, micro: 0 }, kvm: true }, beta: { kvm: false } };
    const exp = pairExpectation(auto, vm, { primary: 'alpha', secondary: 'beta' }, facts);
    const p = { primary: 'beta', secondary: 'alpha', primaryPromoted: false, primaryHasProxyChardevs: true };
    // the secondary on alpha: QEMU 9.2 (reconnect-ms) with KVM
    const onAlpha = exp.argv('alpha', 'secondary');
    assert.deepEqual(
      onAlpha,
      renderSecondaryArgv(auto, vm, p, {
        dialect: dialectForVersion({ major: 9, minor: 2, micro: 0 }),
        kvmAvailable: true,
      }),
    );
    assert.ok(onAlpha.some((a) => a.includes('reconnect-ms=1000')));
    assert.ok(onAlpha.some((a) => /^\w+,accel=kvm$/.test(a)));
    // the primary on beta: no facts beyond kvm false -> 7.2 dialect, TCG
    const onBeta = exp.argv('beta', 'primary');
    assert.deepEqual(
      onBeta,
      renderPrimaryArgv(auto, vm, p, {
        dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }),
        kvmAvailable: false,
      }),
    );
    assert.ok(onBeta.some((a) => /^\w+,accel=tcg$/.test(a)));
    // a host without facts at all
    assert.ok(
      pairExpectation(auto, vm, { primary: 'alpha', secondary: 'beta' }, {})
        .argv('alpha', 'primary')
        .some((a) => /^\w+,accel=tcg$/.test(a)),
    );
  });

  test('checkpoint policy from the spec', () => {
    const s = webSpec({ interval: '500ms', compareTimeout: '1s' });
    const exp = pairExpectation(s, vmOf(s), { primary: 'alpha', secondary: 'beta' }, {});
    assert.deepEqual(exp.migrateParams, { 'x-checkpoint-delay': 500 });
    assert.deepEqual(exp.compareProps, {
      'comp-net0': { compare_timeout: 1000, expired_scan_cycle: 3000, max_queue_size: 1024 },
    });
  });
});
