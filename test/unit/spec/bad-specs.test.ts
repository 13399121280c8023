/**
 * The bad-spec corpus (test/fixtures/bad-specs/): each file makes one mistake on top of a valid
 * spec and says in its header which field is wrong and what the message must say:
 *   # field: vms.web.disks[0].image
 *   # message: ends in "/"
 * The spec must be refused with exactly that one error, its message must start with the field,
 * and it must point at the line where the field is written.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import type { PathSegment } from '../../../src/spec/spec-path.ts';
import { parseYaml } from '../../../src/spec/yaml-document.ts';
import { SPEC_ENV } from './spec-env.ts';

const dir = fileURLToPath(new URL('../../fixtures/bad-specs/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function header(text: string, key: string): string {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
  assert.ok(m?.[1], `no "# ${key}:" line`);
  return m[1];
}

/** `vms.web.disks[0].image` -> ['vms', 'web', 'disks', 0, 'image']. */
function segments(field: string): PathSegment[] {
  return field.split('.').flatMap((part) => {
    const [name, ...indexes] = part.split('[');
    return [name as string, ...indexes.map((i) => Number(i.replace(']', '')))];
  });
}

describe('bad-spec corpus', () => {
  test('has at least 60 specs, one mistake each', () => {
    assert.ok(fixtures.length >= 60, `only ${fixtures.length}`);
  });

  for (const name of fixtures) {
    test(name, () => {
      const text = readFileSync(join(dir, name), 'utf8');
      const field = header(text, 'field');
      const expected = header(text, 'message');
      const result = loadSpecText(text, name, SPEC_ENV);
      const shown = result.diagnostics.map(formatDiagnostic);
      assert.equal(result.spec, undefined, 'the spec must be refused');
      assert.equal(result.diagnostics.length, 1, `one mistake, one message; got:\n${shown.join('\n')}`);
      const [d] = result.diagnostics;
      assert.ok(d);
      assert.equal(d.severity, 'error');
      assert.ok(d.message.startsWith(`${field}: `), `message does not start with ${field}: ${d.message}`);
      assert.ok(d.message.includes(expected), `message lacks ${JSON.stringify(expected)}: ${d.message}`);
      assert.doesNotMatch(d.message, /\n/);
      const { locator } = parseYaml(text, name);
      const path = segments(field);
      const lines = [locator.position(path, 'key').line, locator.position(path, 'value').line];
      assert.ok(lines.includes(d.line), `${shown[0]}: not on the line of ${field} (${lines.join(' or ')})`);
      assert.ok(d.col >= 1);
    });
  }
});
