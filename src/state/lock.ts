/**
 * The state lock: a file `<state path>.lock` created with O_CREAT|O_EXCL (`open(path, 'wx')`)
 * that holds the holder's LockInfo as JSON. Node has no fcntl locks; the exclusive create is
 * atomic on local filesystems, so of any number of concurrent acquirers exactly one wins.
 *
 * Every writing command takes it, with withLock; a held lock is refused with the holder's details in
 * Terraform's "Lock Info:" layout, and `colo force-unlock <ID>` removes it when the id matches.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { acquireLock, type AcquireOptions, type StateLock } from './lock-acquire.ts';
import { formatLockInfo } from './lock-info.ts';
import { LockError, lockPathFor, readLock } from './lock-file.ts';
import { releaseOnExit } from './release-on-exit.ts';
import { describeFsError } from './fs-error.ts';
import type { LockInfo, LockOperation } from './types.ts';

export { LockError, lockPathFor } from './lock-file.ts';
export { formatLockInfo, isStale } from './lock-info.ts';
export type { AcquireOptions, StateLock } from './lock-acquire.ts';
/**
 * Lower level than withLock: a lock taken with acquireLock is not released on exit unless the caller
 * also registers releaseOnExit. For the lock's own tests; colo's commands hold the lock with withLock.
 */
export { acquireLock } from './lock-acquire.ts';
export { releaseOnExit } from './release-on-exit.ts';

/**
 * The way to hold the state lock: takes the lock of the state at `statePath` for `operation` (retrying
 * for `opts.timeoutMs`, default one try; `opts.onWait` is told once when it has to wait), runs `fn`,
 * and always releases the lock afterwards, also when `fn` throws. While `fn` runs, the lock is also
 * released if the process exits or dies of SIGINT/SIGTERM/SIGHUP. Throws a LockError naming the holder
 * when the lock stays held.
 */
export async function withLock<T>(
  statePath: string,
  operation: LockOperation,
  fn: (lock: StateLock) => Promise<T>,
  opts: AcquireOptions & {
    /** Told when the lock could not be removed after `fn` failed (the error of `fn` is what is thrown). */
    onReleaseError?: (message: string) => void;
  } = {},
): Promise<T> {
  const { onReleaseError, ...acquire } = opts;
  const lock = await acquireLock(statePath, operation, acquire);
  const dispose = releaseOnExit(lock);
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn(lock) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  dispose();
  try {
    await lock.release();
  } catch (err) {
    // e.g. the state directory became read-only: say so, without hiding why the command failed
    const note = new LockError(
      `could not remove the state lock ${lock.file}: ${describeFsError(err)}. It stays behind; once that is ` +
        `fixed, remove it with: colo force-unlock ${lock.info.id}`,
      lock.info,
    );
    if (outcome.ok) throw note;
    onReleaseError?.(note.message);
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Reads the lock of a state without taking it (for `colo force-unlock` and status output). */
export async function readLockInfo(statePath: string): Promise<LockInfo | null> {
  const r = await readLock(lockPathFor(statePath));
  if (r.kind === 'unreadable')
    throw new LockError(`the lock file ${lockPathFor(statePath)} is unreadable: ${r.detail}`);
  return r.kind === 'held' ? r.info : null;
}

/**
 * Removes the lock of the state at `statePath`, only if its id is `id`. Returns the removed
 * holder. Throws a LockError when no lock is held or the id does not match.
 */
export async function forceUnlock(statePath: string, id: string): Promise<LockInfo> {
  const file = lockPathFor(statePath);
  const r = await readLock(file);
  if (r.kind === 'none') throw new LockError(`no lock held on ${path.resolve(statePath)} (${file} does not exist)`);
  if (r.kind === 'unreadable') {
    throw new LockError(
      `the lock file ${file} cannot be matched against id ${id}: ${r.detail}. ` +
        `If no colo command is running on this state, remove it by hand: rm ${file}`,
    );
  }
  if (r.info.id !== id) {
    throw new LockError(
      `lock id ${id} does not match the current lock ${r.info.id}\n\n${formatLockInfo(r.info)}`,
      r.info,
    );
  }
  try {
    await fs.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return r.info;
}
