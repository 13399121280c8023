/**
 * Golden files under test/fixtures/golden/. In a test run they are only read and compared: a test
 * never writes one, whatever the environment says. `npm run golden:update` (COLO_GOLDEN_UPDATE=1,
 * which `npm test` clears) rewrites them instead of comparing; review the diff before committing.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_ROOT = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));

export function goldenUpdateMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['COLO_GOLDEN_UPDATE'] === '1';
}

/** `name` is relative to the golden root, e.g. "plan/create.txt". */
export async function expectGolden(
  name: string,
  actual: string,
  opts: { root?: string; update?: boolean } = {},
): Promise<void> {
  const file = path.join(opts.root ?? GOLDEN_ROOT, name);
  if (opts.update ?? goldenUpdateMode()) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await readFile(file, 'utf8');
  } catch {
    assert.fail(`missing golden ${file}: create it with npm run golden:update and review it`);
  }
  assert.equal(actual, expected, `${name} changed; if intended, run npm run golden:update and review the diff`);
}
