/** src/files/atomic-write.ts: replace and create, never partly written, no temp file left behind. */
import { after, before, describe, mock, test } from 'node:test';
import { promises as fsPromises } from 'node:fs';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFileAtomic, writeFileAtomic } from '../../../src/files/atomic-write.ts';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-atomic-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = async () => {
  const d = path.join(root, `case-${++n}`);
  await fs.mkdir(d);
  return d;
};

describe('createFileAtomic', () => {
  test('creates the file complete, with its mode, and leaves no temp file', async () => {
    const dir = await freshDir();
    const f = path.join(dir, 'state.json.lock');
    assert.equal(await createFileAtomic(f, 'one\n', 0o600), true);
    assert.equal(await fs.readFile(f, 'utf8'), 'one\n');
    assert.equal((await fs.stat(f)).mode & 0o777, 0o600);
    assert.deepEqual(await fs.readdir(dir), ['state.json.lock']);
  });
  test('an existing file is left as it is and reported (false), also a dangling symlink', async () => {
    const dir = await freshDir();
    const f = path.join(dir, 'x');
    await fs.writeFile(f, 'theirs');
    assert.equal(await createFileAtomic(f, 'mine'), false);
    assert.equal(await fs.readFile(f, 'utf8'), 'theirs');
    const link = path.join(dir, 'link');
    await fs.symlink(path.join(dir, 'nowhere'), link);
    assert.equal(await createFileAtomic(link, 'mine'), false);
    await assert.rejects(fs.stat(path.join(dir, 'nowhere')), /ENOENT/);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['link', 'x']);
  });
  test('a file system without hard links: the exclusive create instead, same answers', async (t) => {
    const refuse = Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    t.mock.method(fsPromises, 'link', async () => {
      throw refuse;
    });
    const dir = await freshDir();
    const f = path.join(dir, 'lock');
    assert.equal(await createFileAtomic(f, 'mine\n'), true);
    assert.equal(await createFileAtomic(f, 'theirs\n'), false);
    assert.equal(await fs.readFile(f, 'utf8'), 'mine\n');
    assert.equal((await fs.stat(f)).mode & 0o777, 0o600);
    assert.deepEqual(await fs.readdir(dir), ['lock']);
    assert.ok((fsPromises.link as unknown as ReturnType<typeof mock.fn>).mock.callCount() >= 2);
  });
  test('a reader never sees the file empty or partial while it is created', async () => {
    const dir = await freshDir();
    const f = path.join(dir, 'lock');
    const body = `${JSON.stringify({ id: 'x'.repeat(4000) })}\n`;
    const seen: string[] = [];
    for (let i = 0; i < 50; i++) {
      let done = false;
      const creating = createFileAtomic(f, body).then(() => (done = true));
      while (!done) {
        const text = await fs.readFile(f, 'utf8').catch(() => null);
        if (text !== null && text !== body) seen.push(text);
        await new Promise((r) => setImmediate(r));
      }
      await creating;
      await fs.rm(f);
    }
    assert.deepEqual(
      seen.map((s) => s.length),
      [],
    );
  });
});

describe('writeFileAtomic', () => {
  test('replaces the file whole and leaves no temp file', async () => {
    const dir = await freshDir();
    const f = path.join(dir, 'state.json');
    await writeFileAtomic(f, 'old');
    await writeFileAtomic(f, 'new', { mode: 0o640 });
    assert.equal(await fs.readFile(f, 'utf8'), 'new');
    assert.equal((await fs.stat(f)).mode & 0o777, 0o640);
    assert.deepEqual(await fs.readdir(dir), ['state.json']);
  });
});
