/**
 * The state directory and its temp files (src/state/state-dir.ts, src/files/atomic-write.ts): an
 * existing directory others can write, or one owned by another user, is refused; a file, directory
 * or symlink planted at a temp name colo used to use is never followed, truncated or removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { newState, writeState } from '../../../src/state/state-file.ts';
import { acquireLock } from '../../../src/state/lock.ts';
import { writePlanFile } from '../../../src/state/plan-file.ts';
import { tmpPathBeside, writeFileAtomic } from '../../../src/files/atomic-write.ts';
import type { Plan } from '../../../src/plan/plan-model.ts';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-state-dir-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

let n = 0;
async function stateDir(mode = 0o700): Promise<string> {
  const dir = path.join(root, `case-${++n}`, '.colo');
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, mode);
  return dir;
}

describe('the state directory', () => {
  test('an existing world-writable state directory is refused by writes, naming it and the fix', async () => {
    const dir = await stateDir(0o777);
    await assert.rejects(
      writeState(path.join(dir, 'state.json'), newState('test')),
      (e: Error) => e.name === 'StateDirError' && e.message.includes(`state directory ${dir} is writable by group`),
    );
    assert.deepEqual(await fs.readdir(dir), [], 'nothing written there');
  });

  test('a group-writable state directory is refused by the lock too', async () => {
    const dir = await stateDir(0o770);
    await assert.rejects(acquireLock(path.join(dir, 'state.json'), 'apply'), /mode 0770.*chmod go-w/);
  });

  test('a state directory owned by another user is refused', { skip: process.getuid?.() !== 0 }, async () => {
    const dir = await stateDir(0o700);
    await fs.chown(dir, 65534, 65534);
    await assert.rejects(writeState(path.join(dir, 'state.json'), newState('test')), /owned by uid 65534, not by you/);
  });

  test('a private one (0700, ours) is used; a missing one is created 0700', async () => {
    const dir = path.join(root, `case-${++n}`, '.colo');
    await writeState(path.join(dir, 'state.json'), newState('test'));
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
  });
});

describe('temp files are unpredictable and never followed', () => {
  test('symlinks and a directory planted at the old predictable temp names change nothing', async () => {
    const dir = await stateDir();
    const p = path.join(dir, 'state.json');
    const s = await writeState(p, newState('test'));
    const victim = path.join(root, `victim-${n}`);
    await fs.writeFile(victim, 'precious\n');
    await fs.symlink(victim, `${p}.tmp`);
    await fs.mkdir(`${p}.backup.tmp`);
    const next = await writeState(p, s);
    assert.equal(next.serial, 2);
    assert.equal(await fs.readFile(victim, 'utf8'), 'precious\n');
    assert.equal((await fs.lstat(`${p}.tmp`)).isSymbolicLink(), true, 'the planted symlink is left alone');
    assert.equal((await fs.stat(`${p}.backup.tmp`)).isDirectory(), true);
  });

  test("a symlink planted at a saved plan's old temp name (<file>.<pid>.tmp) is never followed", async () => {
    const dir = await stateDir();
    const out = path.join(dir, 'plan.bin');
    const victim = path.join(root, `victim-plan-${n}`);
    await fs.writeFile(victim, 'precious\n');
    await fs.symlink(victim, `${out}.${process.pid}.tmp`);
    await writePlanFile(out, { specHash: 'x' } as unknown as Plan, 'apiVersion: colo/v1\n');
    assert.equal(await fs.readFile(victim, 'utf8'), 'precious\n');
    assert.equal((await fs.lstat(`${out}.${process.pid}.tmp`)).isSymbolicLink(), true);
    assert.match(await fs.readFile(out, 'utf8'), /colo-plan/);
  });

  test('temp names carry 96 random bits; a write leaves no temp file behind', async () => {
    const dir = await stateDir();
    const target = path.join(dir, 'f');
    assert.notEqual(tmpPathBeside(target), tmpPathBeside(target));
    assert.match(path.basename(tmpPathBeside(target)), /^\.f\.colo-tmp\.[0-9a-f]{24}$/);
    await writeFileAtomic(target, 'x');
    assert.deepEqual(await fs.readdir(dir), ['f']);
  });
});
