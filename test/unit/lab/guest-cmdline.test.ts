// The lab guest's kernel command line: addresses per NIC and a gateway appended as the guest's /init
// reads them, every value checked (IPv4, prefix 8..30, a host address, 198.18.0.0/15 only).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/lab/assets.ts';
import { GUEST_MAX_NICS, guestKernelCmdline } from '../../../src/lab/guest-cmdline.ts';

const BASE = 'console=ttyS0 quiet panic=1';

describe('guestKernelCmdline', () => {
  test('without addresses: the base as it is (user networking keeps 10.0.2.15)', () => {
    assert.equal(guestKernelCmdline(BASE), BASE);
    assert.equal(guestKernelCmdline(BASE, { addresses: [] }), BASE);
  });

  test('one colo.ipN per NIC given, in NIC order, then the gateway', () => {
    assert.equal(
      guestKernelCmdline(BASE, { addresses: ['198.18.4.100/24', undefined, '198.19.255.1/30'], gateway: '198.18.4.1' }),
      `${BASE} colo.ip0=198.18.4.100/24 colo.ip2=198.19.255.1/30 colo.gw=198.18.4.1`,
    );
  });

  test('malformed or outside values are refused, naming the NIC', () => {
    const bad: [string, RegExp][] = [
      ['198.18.4.100', /guest NIC 0 \(eth0\): "198\.18\.4\.100" is not ADDRESS\/PREFIX/],
      ['198.18.4.100/31', /prefix of 8 to 30/],
      ['198.18.4.100/24,x', /prefix of 8 to 30/],
      ['198.18.4.256/24', /not a dotted IPv4 address/],
      ['198.18.4.1 x/24', /not a dotted IPv4 address/],
      ['10.0.2.15/24', /10\.0\.2\.15 is outside 198\.18\.0\.0\/15/],
      ['198.20.0.1/24', /outside 198\.18\.0\.0\/15/],
      ['198.18.4.0/24', /network or broadcast address/],
      ['198.18.4.255/24', /network or broadcast address/],
    ];
    for (const [cidr, message] of bad) {
      assert.throws(() => guestKernelCmdline(BASE, { addresses: [cidr] }), message, cidr);
    }
    assert.throws(() => guestKernelCmdline(BASE, { gateway: '127.0.0.1' }), /guest gateway: 127\.0\.0\.1 is outside/);
    assert.throws(
      () => guestKernelCmdline(BASE, { addresses: Array.from({ length: GUEST_MAX_NICS + 1 }, () => undefined) }),
      /at most 8 NICs/,
    );
    assert.throws(
      () => guestKernelCmdline(`${BASE} colo.ip0=198.18.0.5/24`, { addresses: ['198.18.0.6/24'] }),
      /already sets a guest address/,
    );
  });

  test("the guest's /init reads what this renders: colo.ipN for eth0..eth7, colo.gw", () => {
    const init = readFileSync(path.join(packageRoot(), 'scripts', 'guest', 'init'), 'utf8');
    const ns = Array.from({ length: GUEST_MAX_NICS }, (_, i) => i).join(' ');
    assert.match(init, new RegExp(`^for n in ${ns}; do$`, 'm'));
    assert.match(init, /addr=\$\(cmdarg "colo\.ip\$n"\)/);
    assert.match(init, /^gw=\$\(cmdarg colo\.gw\)$/m);
    assert.match(init, /nic_up "eth\$n" "\$addr"/);
  });
});
