import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectForVersion, formatQemuVersion, parseQemuVersion } from '../../../src/render/index.ts';
import type { QemuVersion } from '../../../src/render/dialect.ts';

const v = (s: string): QemuVersion => {
  const r = parseQemuVersion(s);
  assert.ok(r, s);
  return r;
};

describe('dialect table (as render uses it)', () => {
  const rows: [string, 'reconnect' | 'reconnect-ms', boolean, boolean][] = [
    // version, reconnect option, secondary x-colo, colo broken
    ['7.2.0', 'reconnect', false, false],
    ['7.2.22', 'reconnect', false, false],
    ['8.0.5', 'reconnect', false, false],
    ['8.1.0', 'reconnect', true, false],
    ['9.1.3', 'reconnect', true, false],
    ['9.2.0', 'reconnect-ms', true, false],
    ['9.2.4', 'reconnect-ms', true, false],
    ['10.0.0', 'reconnect-ms', true, true],
    ['10.0.2', 'reconnect-ms', true, true],
    ['10.0.6', 'reconnect-ms', true, true],
    ['10.0.7', 'reconnect-ms', true, false],
    ['10.1.0', 'reconnect-ms', true, true],
    ['10.1.2', 'reconnect-ms', true, true],
    ['10.1.3', 'reconnect-ms', true, false],
    ['10.2.0', 'reconnect-ms', true, false],
    ['11.0.0', 'reconnect-ms', true, false],
  ];
  for (const [ver, reconnect, xcolo, broken] of rows) {
    test(`${ver}: ${reconnect}, secondary x-colo ${xcolo}, broken ${broken}`, () => {
      const d = dialectForVersion(v(ver));
      assert.equal(d.reconnectOption, reconnect);
      assert.equal(d.secondaryNeedsXColo, xcolo);
      assert.equal(d.coloBroken, broken);
      assert.equal(formatQemuVersion(d.version), ver);
    });
  }

  test('tcgColoBugs: every stock version; off only when the build is declared fixed', () => {
    assert.equal(dialectForVersion(v('7.2.22')).tcgColoBugs, true);
    assert.equal(dialectForVersion(v('10.2.0')).tcgColoBugs, true);
    assert.equal(dialectForVersion(v('7.2.22'), { tcgFixesApplied: true }).tcgColoBugs, false);
  });

  test('parseQemuVersion', () => {
    assert.deepEqual(parseQemuVersion('7.2.22 (Debian 1:7.2+dfsg-7)'), { major: 7, minor: 2, micro: 22 });
    assert.deepEqual(parseQemuVersion('9.2'), { major: 9, minor: 2, micro: 0 });
    assert.equal(parseQemuVersion('QEMU'), undefined);
  });
});
