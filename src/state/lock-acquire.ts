/**
 * Taking the state lock: the exclusive create of `<state path>.lock` (a complete temp file hard-linked
 * to the lock path: link() fails atomically when it exists, like O_EXCL) with the holder's
 * LockInfo, retried with backoff while someone else holds it; and the handle that releases it.
 * Commands hold the lock through withLock (lock.ts), which also releases it on exit and signals.
 */
import { randomUUID } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { COLO_VERSION } from '../version.ts';
import { ensurePrivateStateDir } from './state-dir.ts';
import { createFileAtomic } from '../files/atomic-write.ts';
import { describeFsError } from './fs-error.ts';
import { formatLockInfo, isStale, whoAmI } from './lock-info.ts';
import { LockError, lockPathFor, readLock, readLockSync, sleep, type ReadResult } from './lock-file.ts';
import { BRIEF_OPERATIONS, type LockInfo, type LockOperation } from './types.ts';

export interface AcquireOptions {
  /** How long to keep retrying while the lock is held (Terraform's -lock-timeout). Default 0: one try. */
  timeoutMs?: number;
  /** colo version recorded in the lock. Default: COLO_VERSION (src/version.ts). */
  version?: string;
  /** Called once, when the first try finds the lock held and a retry will follow. */
  onWait?: (holder: LockInfo | undefined) => void;
  /**
   * While the holder is a brief, read-only operation (BRIEF_OPERATIONS: plan, status, verify) that
   * is still running, keep waiting for it this long in all, whatever `timeoutMs` says. Default 300 s
   * (a verify waits up to two checkpoint intervals); 0 treats every holder alike.
   */
  briefHolderWaitMs?: number;
  /** First retry delay; doubles up to maxDelayMs (defaults 100 and 2000). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface StateLock {
  readonly info: LockInfo;
  /** The lock file. */
  readonly file: string;
  /**
   * Removes the lock file if it still carries this lock's id. Resolves true when it removed it,
   * false when the lock was already gone or taken over (force-unlocked). Idempotent.
   */
  release(): Promise<boolean>;
  /** Synchronous release, for process exit handlers. */
  releaseSync(): boolean;
}

function heldMessage(file: string, r: ReadResult, waitedMs: number): string {
  const waited = waitedMs > 0 ? ` (waited ${(waitedMs / 1000).toFixed(1)}s)` : '';
  if (r.kind === 'unreadable') {
    return [
      `Error acquiring the state lock: ${file} exists but ${r.detail}${waited}.`,
      '',
      'A colo process may have been killed while it was taking the lock. If no colo command is running',
      `on this state, remove the file by hand: rm ${file}`,
    ].join('\n');
  }
  if (r.kind !== 'held') return `Error acquiring the state lock: ${file}${waited}`;
  const info = r.info;
  const lines = [
    `Error acquiring the state lock: it is held by another colo command${waited}.`,
    '',
    formatLockInfo(info),
    '',
  ];
  if (isStale(info)) {
    lines.push(
      `The holder (pid ${info.pid} on this host, ${info.hostname}) is no longer running: the lock is stale.`,
      'Unless another colo command is running on this state, remove the lock with:',
    );
  } else {
    lines.push(
      'colo takes this lock so that only one command works on the pairs at a time (QEMU serves one QMP',
      'client at a time, and only one command may change them). Wait for that',
      `command to finish${waited === '' ? ' (or retry with a lock timeout)' : ''}. If it is no longer running, ` +
        `remove the lock with:`,
    );
  }
  lines.push('', `  colo force-unlock ${info.id}`);
  return lines.join('\n');
}

/**
 * Takes the lock of the state at `statePath`. While it is held by someone else, retries with
 * exponential backoff until `timeoutMs` has passed, then throws a LockError naming the holder.
 */
export async function acquireLock(
  statePath: string,
  operation: LockOperation,
  opts: AcquireOptions = {},
): Promise<StateLock> {
  const file = lockPathFor(statePath);
  const timeoutMs = Math.max(0, opts.timeoutMs ?? 0);
  const briefWaitMs = Math.max(0, opts.briefHolderWaitMs ?? 300_000);
  const maxDelay = opts.maxDelayMs ?? 2000;
  let delay = opts.initialDelayMs ?? 100;
  const started = Date.now();
  const info: LockInfo = {
    id: randomUUID(),
    operation,
    who: whoAmI(),
    pid: process.pid,
    hostname: os.hostname(),
    version: opts.version ?? COLO_VERSION,
    created: new Date().toISOString(),
    path: path.resolve(statePath),
  };
  await ensurePrivateStateDir(path.dirname(file));
  let waitedOnce = false;

  for (;;) {
    info.created = new Date().toISOString();
    let created: boolean;
    try {
      // complete or absent, never an empty lock file, even if colo is killed while taking it
      created = await createFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`, 0o600);
    } catch (err) {
      throw new LockError(`cannot create the lock file ${file}: ${describeFsError(err)}`);
    }
    if (created) return makeLock(file, info);

    const current = await readLock(file);
    if (current.kind === 'none') continue; // released between our open and read: try again now
    const elapsed = Date.now() - started;
    const brief =
      current.kind === 'held' && BRIEF_OPERATIONS.includes(current.info.operation) && !isStale(current.info);
    const remaining = (brief ? Math.max(timeoutMs, briefWaitMs) : timeoutMs) - elapsed;
    if (remaining <= 0) {
      throw new LockError(
        heldMessage(file, current, timeoutMs > 0 || brief ? elapsed : 0),
        current.kind === 'held' ? current.info : undefined,
      );
    }
    if (!waitedOnce) {
      waitedOnce = true;
      opts.onWait?.(current.kind === 'held' ? current.info : undefined);
    }
    await sleep(Math.min(delay, remaining));
    delay = Math.min(delay * 2, maxDelay);
  }
}

function makeLock(file: string, info: LockInfo): StateLock {
  let released = false;
  const frozen = Object.freeze({ ...info });
  const mine = (r: ReadResult): boolean => r.kind === 'held' && r.info.id === info.id;
  return {
    info: frozen,
    file,
    async release() {
      if (released) return false;
      released = true;
      if (!mine(await readLock(file))) return false;
      try {
        await fs.unlink(file);
        return true;
      } catch (err) {
        return goneAlready(err);
      }
    },
    releaseSync() {
      if (released) return false;
      released = true;
      if (!mine(readLockSync(file))) return false;
      try {
        unlinkSync(file);
        return true;
      } catch (err) {
        return goneAlready(err);
      }
    },
  };
}

/** An unlink that found the file gone removed nothing (false); any other failure is rethrown. */
function goneAlready(err: unknown): false {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
  throw err;
}
