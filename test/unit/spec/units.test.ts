import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, parseDuration, parseSize } from '../../../src/spec/units.ts';
import { closest, didYouMean, editDistance } from '../../../src/spec/suggest.ts';

const value = (p: ReturnType<typeof parseSize>): number => {
  assert.ok(p.ok, p.ok ? '' : p.error);
  return p.value;
};

describe('sizes', () => {
  test('binary suffixes, with optional i/B, any case', () => {
    assert.equal(value(parseSize('64M')), 64 * 1024 ** 2);
    assert.equal(value(parseSize('1G')), 1024 ** 3);
    assert.equal(value(parseSize('10GiB')), 10 * 1024 ** 3);
    assert.equal(value(parseSize('2t')), 2 * 1024 ** 4);
    assert.equal(value(parseSize('512k')), 512 * 1024);
    assert.equal(value(parseSize('1.5G')), 1.5 * 1024 ** 3);
    assert.equal(value(parseSize('4096')), 4096);
    assert.equal(value(parseSize('100B')), 100);
  });

  test('a bare number is bytes, or MiB for memory', () => {
    assert.equal(value(parseSize(1000)), 1000);
    assert.equal(value(parseSize(128, 1024 ** 2)), 128 * 1024 ** 2);
    assert.equal(value(parseSize('128', 1024 ** 2)), 128 * 1024 ** 2);
    assert.equal(value(parseSize('128M', 1024 ** 2)), 128 * 1024 ** 2);
  });

  test('malformed and fractional-byte sizes are rejected with a reason', () => {
    for (const bad of ['12X', '1.5.G', 'G', '', '-1M', '1 Gbit']) {
      const p = parseSize(bad);
      assert.equal(p.ok, false, bad);
      assert.match(p.ok ? '' : p.error, /malformed size/);
    }
    const frac = parseSize('0.3K');
    assert.equal(frac.ok, false);
    assert.match(frac.ok ? '' : frac.error, /whole number of bytes/);
  });

  test('formatBytes picks the largest exact unit', () => {
    assert.equal(formatBytes(1024 ** 3), '1G');
    assert.equal(formatBytes(64 * 1024 ** 2), '64M');
    assert.equal(formatBytes(1536), '1536');
  });
});

describe('durations', () => {
  test('ms, s and m suffixes; a bare number is milliseconds', () => {
    assert.equal(value(parseDuration('2s')), 2000);
    assert.equal(value(parseDuration('2000ms')), 2000);
    assert.equal(value(parseDuration('1m')), 60_000);
    assert.equal(value(parseDuration('1.5s')), 1500);
    assert.equal(value(parseDuration(3000)), 3000);
  });

  test('malformed durations are rejected', () => {
    for (const bad of ['2', '2 sec', '3h', 's', '1.0005s']) assert.equal(parseDuration(bad).ok, false, bad);
  });
});

describe('did you mean', () => {
  test('edit distance counts a transposition as one edit', () => {
    assert.equal(editDistance('memroy', 'memory'), 1);
    assert.equal(editDistance('smp', 'spm'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('KVM', 'kvm'), 0);
  });

  test('suggests close candidates only', () => {
    assert.equal(closest('memroy', ['type', 'accel', 'cpu', 'memory', 'smp']), 'memory');
    assert.equal(closest('replicationAdress', ['ssh', 'replicationAddress', 'workDir']), 'replicationAddress');
    assert.equal(closest('colour', ['type', 'accel', 'cpu', 'memory', 'smp']), undefined);
    assert.equal(didYouMean('kvmm', ['kvm', 'tcg', 'auto']), '; did you mean "kvm"?');
    assert.equal(didYouMean('zzz', ['kvm', 'tcg', 'auto']), '');
    assert.equal(closest('proto', ['protocol', 'hostAddress', 'hostPort', 'guestPort']), 'protocol');
    assert.equal(closest('host', ['hostAddress', 'hostPort']), undefined, 'ambiguous abbreviation');
  });
});
