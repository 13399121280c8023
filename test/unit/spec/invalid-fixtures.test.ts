/**
 * Golden tests: every bad spec under test/fixtures/specs/invalid/<name>.yaml produces exactly the
 * diagnostics in <name>.expected (one formatted line each). A test run only compares; `npm run golden:update`
 * rewrites them (test/helpers/golden.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { expectGolden } from '../../helpers/golden.ts';

const dir = fileURLToPath(new URL('../../fixtures/specs/invalid/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const options = { defaultUser: 'tester', homeDir: '/home/tester' };

describe('invalid spec fixtures', () => {
  test('there are at least 25 of them', () => {
    assert.ok(fixtures.length >= 25, `only ${fixtures.length} fixtures`);
  });

  for (const name of fixtures) {
    test(name, async () => {
      const text = readFileSync(join(dir, name), 'utf8');
      const result = loadSpecText(text, name, options);
      const actual = result.diagnostics.map(formatDiagnostic).join('\n') + '\n';
      await expectGolden(name.replace(/\.yaml$/, '.expected'), actual, { root: dir });
      assert.equal(result.spec, undefined, 'a spec with errors must not resolve');
      assert.ok(result.diagnostics.some((d) => d.severity === 'error'));
      for (const d of result.diagnostics) {
        assert.match(formatDiagnostic(d), new RegExp(`^${name.replace('.', '\\.')}:\\d+:\\d+: \\S`));
        assert.ok(d.line >= 1 && d.line <= text.split('\n').length, `line ${d.line} outside the file`);
        assert.doesNotMatch(d.message, /\n|\bat .*\.ts:\d+/, 'one line, no stack trace');
      }
    });
  }

  test('every golden file has its fixture', () => {
    const goldens = readdirSync(dir).filter((f) => f.endsWith('.expected'));
    for (const g of goldens) assert.ok(fixtures.includes(g.replace(/\.expected$/, '.yaml')), `orphan golden ${g}`);
  });
});
