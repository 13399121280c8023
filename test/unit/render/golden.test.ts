/**
 * Golden files pinning every rendering (argv, image prep, QMP phases; initial placement, 9.2 dialect,
 * role swap) of every example under examples/. UPDATE_GOLDEN=1 rewrites them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSpecRenderings } from './golden-format.ts';
import { EXAMPLES_DIR, loadExample } from './spec-fixtures.ts';

const GOLDEN_DIR = fileURLToPath(new URL('../../fixtures/golden/render/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('render goldens for examples/*.yaml', () => {
  test('there are examples to pin', () => {
    assert.ok(examples.length >= 3, `expected at least 3 examples in ${EXAMPLES_DIR}, found ${examples.join(', ')}`);
  });

  for (const file of examples) {
    test(file, async () => {
      const spec = await loadExample(file);
      assert.ok(spec.vms.length > 0, `${file} has no vms`);
      const actual = formatSpecRenderings(spec, `examples/${file}`);
      const golden = path.join(GOLDEN_DIR, `${path.basename(file, '.yaml')}.txt`);
      if (UPDATE) {
        await mkdir(GOLDEN_DIR, { recursive: true });
        await writeFile(golden, actual);
      }
      let expected: string;
      try {
        expected = await readFile(golden, 'utf8');
      } catch {
        assert.fail(
          `missing golden ${golden}: run UPDATE_GOLDEN=1 node --import tsx --test test/unit/render/golden.test.ts`,
        );
      }
      assert.equal(
        actual,
        expected,
        `rendering of examples/${file} changed; if intended, rerun with UPDATE_GOLDEN=1 and review the diff`,
      );
    });
  }
});
