/**
 * The state directory full or read-only, on a real small tmpfs (root only: it mounts): the state
 * write fails with a message naming the cause, the previous state is kept byte for byte, no temp
 * file is left, and a lock that cannot be removed does not hide why the command failed. The same
 * faults at every step of apply, destroy and failover are in test/e2e/faults.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { newState, readState, StateError, writeState } from '../../src/state/state-file.ts';
import { LockError, lockPathFor, withLock } from '../../src/state/lock.ts';
import { colo, ROOT } from '../helpers/cli.ts';

const isRoot = process.getuid?.() === 0;

describe('a full or read-only state directory', { skip: !isRoot && 'mounting a tmpfs needs root' }, () => {
  let root: string;
  let dir: string;
  const remount = (mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, dir]);
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-statefull-'));
    dir = path.join(root, '.colo');
    await fs.mkdir(dir, { mode: 0o700 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'colo-statefull', dir]);
  });
  after(async () => {
    try {
      execFileSync('umount', [dir]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  const statePath = () => path.join(dir, 'state.json');

  /** Fills the tmpfs to the last page: any new file (the state's temp file) then fails. */
  function fill(): void {
    const fd = openSync(path.join(dir, 'filler'), 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(1024));
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(fd);
    }
  }

  test('full: the write fails naming ENOSPC, the previous state is kept, no temp file left', async () => {
    const first = await writeState(statePath(), newState('test'));
    const before = await fs.readFile(statePath(), 'utf8');
    fill();
    try {
      await assert.rejects(
        writeState(statePath(), first),
        (e: unknown) =>
          e instanceof StateError &&
          /cannot write state file .*state\.json \(serial 2\): no space left on the device \(ENOSPC\)/.test(
            e.message,
          ) &&
          /The previous state \(serial 1\) is unchanged/.test(e.message),
      );
      assert.equal(await fs.readFile(statePath(), 'utf8'), before);
      assert.deepEqual(
        (await fs.readdir(dir)).filter((f) => f.includes('colo-tmp')),
        [],
      );
      assert.equal((await readState(statePath()))?.serial, 1);
    } finally {
      await fs.rm(path.join(dir, 'filler'), { force: true });
    }
  });

  test('read-only: the write fails naming EROFS, the previous state is kept', async () => {
    const current = (await readState(statePath()))!;
    const before = await fs.readFile(statePath(), 'utf8');
    remount('ro');
    try {
      await assert.rejects(writeState(statePath(), current), (e: unknown) =>
        /cannot write state file .*: the file system is read-only \(EROFS\).*is unchanged/s.test((e as Error).message),
      );
      assert.equal(await fs.readFile(statePath(), 'utf8'), before);
    } finally {
      remount('rw');
    }
  });

  test('the lock cannot be removed: the command error is kept, the stuck lock reported with its id', async () => {
    const told: string[] = [];
    await assert.rejects(
      withLock(
        statePath(),
        'apply',
        async () => {
          remount('ro');
          throw new Error('the state write failed');
        },
        { onReleaseError: (m) => told.push(m) },
      ),
      /^Error: the state write failed$/,
    );
    remount('rw');
    const info = JSON.parse(await fs.readFile(lockPathFor(statePath()), 'utf8')) as { id: string };
    assert.equal(told.length, 1);
    assert.match(
      told[0]!,
      new RegExp(`could not remove the state lock .*read-only \\(EROFS\\).*colo force-unlock ${info.id}`),
    );
    // when the command itself succeeded, the stuck lock is the error
    await fs.rm(lockPathFor(statePath()));
    await assert.rejects(
      withLock(statePath(), 'apply', async () => void remount('ro')),
      (e: unknown) => e instanceof LockError && /could not remove the state lock/.test(e.message),
    );
    remount('rw');
    await fs.rm(lockPathFor(statePath()));
  });

  test('colo on a full or read-only state directory: a clear error, never a stack trace', async () => {
    // a valid spec (its hosts are never reached: taking the lock fails first)
    const spec = path.join(root, 'colo.yaml');
    await fs.copyFile(path.join(ROOT, 'examples', 'pair.yaml'), spec);
    fill();
    remount('ro');
    try {
      const r = await colo(['plan', '-f', spec]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /cannot create the lock file .*state\.json\.lock: the file system is read-only \(EROFS\)/);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    } finally {
      remount('rw');
    }
    try {
      const r = await colo(['plan', '-f', spec]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /cannot create the lock file .*state\.json\.lock: no space left on the device \(ENOSPC\)/);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    } finally {
      await fs.rm(path.join(dir, 'filler'), { force: true });
    }
  });
});
