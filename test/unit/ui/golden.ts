/** Golden files under test/fixtures/golden/: compared verbatim; UPDATE_GOLDEN=1 rewrites them. */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GOLDEN_ROOT = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** `name` is relative to test/fixtures/golden/, e.g. "plan/create.txt". */
export async function expectGolden(name: string, actual: string, testFile: string): Promise<void> {
  const file = path.join(GOLDEN_ROOT, name);
  if (UPDATE) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, actual);
  }
  let expected: string;
  try {
    expected = await readFile(file, 'utf8');
  } catch {
    assert.fail(`missing golden ${file}: run UPDATE_GOLDEN=1 node --import tsx --test ${testFile}`);
  }
  assert.equal(actual, expected, `${name} changed; if intended, rerun with UPDATE_GOLDEN=1 and review the diff`);
}
