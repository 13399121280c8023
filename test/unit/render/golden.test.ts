/**
 * Golden files pinning every rendering (argv, image prep, QMP phases; initial placement, 9.2 dialect,
 * role swap) of every example under examples/. `npm run golden:update` rewrites them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expectGolden } from '../../helpers/golden.ts';
import { formatSpecRenderings } from './golden-format.ts';
import { EXAMPLES_DIR, loadExample } from './spec-fixtures.ts';

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
      await expectGolden(`render/${path.basename(file, '.yaml')}.txt`, actual);
    });
  }
});
