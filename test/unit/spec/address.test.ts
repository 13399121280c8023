import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { checkAddress, isGroupAddress, isIPv4, isIPv6, isLoopback, isUnspecified } from '../../../src/spec/address.ts';

describe('addresses', () => {
  test('isIPv4 and isIPv6 agree with node:net (src/spec may not import it)', () => {
    const samples = [
      ...['::', '::1', '1::', 'fe80::1', '2001:db8::1:2:3:4:5', '2001:db8:0:0:0:0:0:1', '1:2:3:4:5:6:7:8'],
      ...['1:2:3:4:5:6:7:8:9', '1::2::3', '::ffff:198.18.0.1', '1:2:3:4:5:6:198.18.0.1', '1:2:3:4:5:6:7:1.2.3.4'],
      ...[':1', '1:', 'gg::1', '12345::', '::1.2.3', ':::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', 'a::b:c'],
      ...['198.18.0.1', '0.0.0.0', '255.255.255.255', '01.2.3.4', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3'],
    ];
    for (const s of samples) {
      assert.equal(isIPv6(s), net.isIPv6(s), `isIPv6(${s})`);
      assert.equal(isIPv4(s), net.isIPv4(s), `isIPv4(${s})`);
    }
  });

  test('checkAddress: kinds, and a suggestion where one is obvious', () => {
    assert.deepEqual(checkAddress('198.18.0.1', ''), { ok: true, kind: 'ipv4' });
    assert.deepEqual(checkAddress('fe80::1', ''), { ok: true, kind: 'ipv6' });
    assert.deepEqual(checkAddress('alpha.example.net.', ''), { ok: true, kind: 'name' });
    assert.deepEqual(checkAddress('db_1.lan', ''), { ok: true, kind: 'name' });
    const cases: [string, RegExp, string | undefined][] = [
      ['alpha:22', /has a port/, 'alpha'],
      ['198.18.0.1:22', /has a port/, '198.18.0.1'],
      ['198.018.0.1', /octal/, '198.18.0.1'],
      ['127.1', /all four octets/, undefined],
      ['198.18.0.300', /over 255/, undefined],
      ['a..b', /empty label/, 'a.b'],
      ['-a.b', /starts or ends with "-"/, undefined],
      ['1::2::3', /not a valid IPv6/, undefined],
    ];
    for (const [value, problem, suggestion] of cases) {
      const c = checkAddress(value, '');
      assert.equal(c.ok, false, value);
      if (c.ok) continue;
      assert.match(c.problem, problem, value);
      assert.equal(c.suggestion, suggestion, value);
    }
  });

  test('loopback, unspecified and group addresses', () => {
    assert.ok(isLoopback('127.0.0.11') && isLoopback('::1') && isLoopback('localhost'));
    assert.ok(!isLoopback('198.18.0.1') && !isLoopback('127x.example'));
    assert.ok(isUnspecified('0.0.0.0') && isUnspecified('::') && isUnspecified('0:0::0'));
    assert.ok(!isUnspecified('::1'));
    assert.ok(isGroupAddress('224.0.0.1') && isGroupAddress('239.1.1.1') && isGroupAddress('ff02::1'));
    assert.ok(isGroupAddress('255.255.255.255') && !isGroupAddress('198.18.0.1'));
  });
});
