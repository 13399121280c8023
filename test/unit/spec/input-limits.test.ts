/**
 * Input limits and scale: a spec over the size limit is refused before parsing (also unread from
 * disk), YAML nested past the depth limit gets one clean message (never the engine's "Maximum call
 * stack size exceeded"), and specs with 10,000 VMs on one host pair resolve in linear time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpecFile } from '../../../src/cli/spec-file.ts';
import { MAX_SPEC_BYTES, MAX_YAML_DEPTH, formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { allocatePorts } from '../../../src/spec/port-allocation.ts';
import type { PortRequest } from '../../../src/spec/port-allocation.ts';
import { Reporter } from '../../../src/spec/reporter.ts';
import { parseYaml } from '../../../src/spec/yaml-document.ts';
import { SPEC_ENV } from './spec-env.ts';

const HEAD =
  'apiVersion: colo/v1\nhosts:\n  a: { ssh: { address: 198.18.0.1 } }\n  b: { ssh: { address: 198.18.0.2 } }\n';

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

describe('input size', () => {
  test('a spec over the limit is one whole-file error naming the limit, before any parsing', () => {
    const text = `${HEAD}vms: {}\nx: "${'a'.repeat(MAX_SPEC_BYTES)}"\n`;
    const { value, ms } = timed(() => loadSpecText(text, 'big.yaml', SPEC_ENV));
    assert.equal(value.spec, undefined);
    assert.deepEqual(value.diagnostics.map(formatDiagnostic), [
      `big.yaml: the spec is ${Buffer.byteLength(text)} bytes, over the limit of ${MAX_SPEC_BYTES} bytes (8 MiB); ` +
        'split it, or share settings through defaults and anchors',
    ]);
    assert.ok(ms < 1000, `${Math.round(ms)} ms`);
  });

  test('a spec at the limit is parsed as usual', () => {
    const text = `${HEAD}vms: {}\n# ${'a'.repeat(MAX_SPEC_BYTES - HEAD.length - 20)}\n`;
    assert.ok(Buffer.byteLength(text) <= MAX_SPEC_BYTES);
    const { diagnostics } = loadSpecText(text, 'ok.yaml', SPEC_ENV);
    assert.doesNotMatch(diagnostics.map(formatDiagnostic).join('\n'), /over the limit/);
  });

  test('a file over the limit is refused unread (a sparse 4 GiB file, which no string could hold)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'colo-limit-'));
    try {
      const file = join(dir, 'huge.yaml');
      writeFileSync(file, HEAD);
      truncateSync(file, 4 * 1024 ** 3);
      const start = performance.now();
      const { spec, diagnostics } = await loadSpecFile(file, SPEC_ENV);
      assert.equal(spec, undefined);
      assert.equal(diagnostics.length, 1);
      assert.match(diagnostics[0]?.message ?? '', /^the spec is 4294967296 bytes, over the limit of 8388608 bytes/);
      assert.ok(performance.now() - start < 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('YAML depth', () => {
  const cases: Record<string, string> = {
    'flow lists': `${HEAD}vms: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    'flow maps': `${HEAD}vms: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
    'block lists': `${HEAD}vms:\n${Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i + 1)}- \n`).join('')}`,
  };
  for (const [kind, text] of Object.entries(cases)) {
    test(`${kind} nested thousands deep: one clean, positioned message`, () => {
      const { spec, diagnostics } = loadSpecText(text, 'deep.yaml', SPEC_ENV);
      assert.equal(spec, undefined);
      const shown = diagnostics.map(formatDiagnostic);
      assert.equal(shown.length, 1, shown.join('\n'));
      assert.match(
        shown[0] ?? '',
        new RegExp(`^deep\\.yaml:\\d+:\\d+: YAML nests deeper than ${MAX_YAML_DEPTH} levels`),
      );
      assert.doesNotMatch(shown[0] ?? '', /call stack/);
    });
  }

  test('nesting within the limit is left to the schema', () => {
    const text = `${HEAD}vms: ${'['.repeat(MAX_YAML_DEPTH - 1)}${']'.repeat(MAX_YAML_DEPTH - 1)}\n`;
    const shown = loadSpecText(text, 'ok.yaml', SPEC_ENV).diagnostics.map(formatDiagnostic);
    assert.deepEqual(shown, ['ok.yaml:5:6: vms: expected mapping, got list']);
  });
});

describe('scale', () => {
  const N = 10_000;

  test(`port allocation for ${N} VMs on one host pair is linear (was 51 s, quadratic)`, () => {
    const requests: PortRequest[] = Array.from({ length: N }, (_, i) => ({
      vm: `vm${i}`,
      hosts: ['a', 'b'],
      base: 9000,
      basePath: ['vms', `vm${i}`],
      nics: [{ netdevId: 'net0' }],
      forwards: [],
    }));
    const r = new Reporter('p.yaml', parseYaml('{}', 'p.yaml').locator);
    const { value, ms } = timed(() => allocatePorts(requests, r));
    assert.equal(r.diagnostics.length, 0);
    assert.deepEqual(value.get(`vm${N - 1}`), {
      migration: 9000 + 4 * (N - 1),
      nbd: 9001 + 4 * (N - 1),
      nics: [{ netdevId: 'net0', mirror: 9002 + 4 * (N - 1), compare: 9003 + 4 * (N - 1) }],
    });
    assert.ok(ms < 1000, `${Math.round(ms)} ms`);
  });

  test(`looking up each of ${N} keys of one map is linear`, () => {
    const text = `vms:\n${Array.from({ length: N }, (_, i) => `  vm${i}: { primary: a }\n`).join('')}`;
    const { locator } = parseYaml(text, 'k.yaml');
    const { value, ms } = timed(() => Array.from({ length: N }, (_, i) => locator.has(['vms', `vm${i}`, 'primary'])));
    assert.ok(value.every(Boolean));
    assert.equal(locator.position(['vms', `vm${N - 1}`, 'primary']).line, N + 1);
    assert.ok(ms < 1000, `${Math.round(ms)} ms`);
  });

  test(`a spec of ${N} VMs on one host pair loads, every VM with its own ports`, () => {
    const vms = Array.from(
      { length: N },
      (_, i) =>
        `  vm${i}: { primary: a, secondary: b, disks: [{ image: /img/vm${i}.qcow2 }], netdevs: [{ backend: user }] }\n`,
    ).join('');
    const { spec, diagnostics } = loadSpecText(`${HEAD}vms:\n${vms}`, 'n.yaml', SPEC_ENV);
    assert.deepEqual(diagnostics.map(formatDiagnostic), []);
    assert.equal(spec?.vms.length, N);
    assert.equal(new Set(spec?.vms.map((v) => v.ports.migration)).size, N);
  });
});
