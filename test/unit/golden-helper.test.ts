/** The golden helper compares and never writes in a test run; only update mode writes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectGolden, goldenUpdateMode } from '../helpers/golden.ts';

describe('golden helper', () => {
  test('a changed output fails and leaves the golden as it was', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'colo-golden-'));
    try {
      await writeFile(path.join(root, 'x.txt'), 'old\n');
      await assert.rejects(expectGolden('x.txt', 'new\n', { root, update: false }), /x\.txt changed/);
      assert.equal(await readFile(path.join(root, 'x.txt'), 'utf8'), 'old\n');
      await expectGolden('x.txt', 'old\n', { root, update: false });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  test('a missing golden fails and is not created', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'colo-golden-'));
    try {
      await assert.rejects(expectGolden('sub/y.txt', 'x', { root, update: false }), /missing golden/);
      assert.equal(existsSync(path.join(root, 'sub/y.txt')), false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  test('update mode writes; it is on only when COLO_GOLDEN_UPDATE=1', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'colo-golden-'));
    try {
      await expectGolden('z.txt', 'fresh\n', { root, update: true });
      assert.equal(await readFile(path.join(root, 'z.txt'), 'utf8'), 'fresh\n');
      assert.equal(goldenUpdateMode({ COLO_GOLDEN_UPDATE: '1' }), true);
      assert.equal(goldenUpdateMode({ UPDATE_GOLDEN: '1' }), false);
      assert.equal(goldenUpdateMode({}), false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  test('npm test clears update mode', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts['test']!, /env -u COLO_GOLDEN_UPDATE node /);
    assert.match(pkg.scripts['test:unit']!, /env -u COLO_GOLDEN_UPDATE /);
  });
});
