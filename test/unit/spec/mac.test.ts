import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveMac, isMulticastMac, isZeroMac, normalizeMac } from '../../../src/spec/mac.ts';
import { loadSpecText } from '../../../src/spec/index.ts';
import { SPEC_ENV } from './spec-env.ts';

describe('MAC addresses', () => {
  test('derivation is stable across runs and releases (pinned values)', () => {
    // Changing these breaks every running guest's network identity: they are part of the format.
    assert.equal(deriveMac('guest', 'net0'), '52:54:00:17:23:89');
    assert.equal(deriveMac('web', 'lan'), deriveMac('web', 'lan'));
  });

  test('derived MACs are locally administered unicast, in 52:54:00', () => {
    for (const [vm, id] of [
      ['a', 'net0'],
      ['web', 'lan'],
      ['db', 'backup'],
      ['x', 'y'],
    ] as const) {
      const mac = deriveMac(vm, id);
      assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
      const first = Number.parseInt(mac.slice(0, 2), 16);
      assert.equal(first & 1, 0, 'unicast');
      assert.equal(first & 2, 2, 'locally administered');
    }
  });

  test('different VMs or netdevs get different MACs; attempts differ too', () => {
    const macs = new Set([
      deriveMac('web', 'net0'),
      deriveMac('web', 'net1'),
      deriveMac('db', 'net0'),
      deriveMac('web', 'net0', 1),
    ]);
    assert.equal(macs.size, 4);
  });

  test('helpers', () => {
    assert.equal(normalizeMac('52:54:00:AB:CD:EF'), '52:54:00:ab:cd:ef');
    assert.equal(isMulticastMac('01:00:5e:00:00:01'), true);
    assert.equal(isMulticastMac('52:54:00:00:00:01'), false);
    assert.equal(isZeroMac('00:00:00:00:00:00'), true);
  });

  test('a derived MAC never collides with an explicit one', () => {
    const taken = deriveMac('b', 'net0');
    const text = `apiVersion: colo/v1
hosts: { h1: { ssh: { address: h1 } }, h2: { ssh: { address: h2 } } }
vms:
  a: { primary: h1, secondary: h2, disks: [{ image: /a }], netdevs: [{ backend: user, mac: "${taken}" }] }
  b: { primary: h2, secondary: h1, disks: [{ image: /b }], netdevs: [{ backend: user }] }
`;
    const { spec, diagnostics } = loadSpecText(text, 'm.yaml', SPEC_ENV);
    assert.deepEqual(diagnostics, []);
    assert.ok(spec);
    assert.equal(spec.vms[0]?.netdevs[0]?.mac, taken);
    assert.equal(spec.vms[1]?.netdevs[0]?.mac, deriveMac('b', 'net0', 1));
  });

  test('explicit MACs are normalised to lower case; vnetHdr follows the model', () => {
    const text = `apiVersion: colo/v1
hosts: { h1: { ssh: { address: h1 } }, h2: { ssh: { address: h2 } } }
vms:
  a:
    primary: h1
    secondary: h2
    disks: [{ image: /a }]
    netdevs:
      - { backend: user, mac: "52:54:00:AA:BB:CC" }
      - { backend: user, model: e1000 }
`;
    const { spec } = loadSpecText(text, 'm.yaml', SPEC_ENV);
    assert.equal(spec?.vms[0]?.netdevs[0]?.mac, '52:54:00:aa:bb:cc');
    assert.equal(spec?.vms[0]?.netdevs[0]?.vnetHdr, true);
    assert.equal(spec?.vms[0]?.netdevs[1]?.model, 'e1000');
    assert.equal(spec?.vms[0]?.netdevs[1]?.vnetHdr, false);
  });
});
