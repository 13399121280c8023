/**
 * The state lock: a file `<state path>.lock` created with O_CREAT|O_EXCL (`open(path, 'wx')`)
 * that holds the holder's LockInfo as JSON. Node has no fcntl locks; the exclusive create is
 * atomic on local filesystems, so of any number of concurrent acquirers exactly one wins.
 *
 * Every writing command takes it; a held lock is refused with the holder's details in
 * Terraform's "Lock Info:" layout, and `colo force-unlock <ID>` removes it when the id matches.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LockInfo, LockOperation } from './types.ts';

export class LockError extends Error {
  constructor(
    message: string,
    /** The current holder, when there is one and its lock file could be read. */
    readonly holder?: LockInfo,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

export const lockPathFor = (statePath: string): string => `${statePath}.lock`;

export interface AcquireOptions {
  /** How long to keep retrying while the lock is held (Terraform's -lock-timeout). Default 0: one try. */
  timeoutMs?: number;
  /** colo version recorded in the lock. Default: the version in colo's package.json. */
  version?: string;
  /** Called once, when the first try finds the lock held and a retry will follow. */
  onWait?: (holder: LockInfo | undefined) => void;
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

let cachedVersion: string | undefined;

/** colo's version from package.json (same relative path from src/state and dist/state). */
export function coloVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      cachedVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

function whoAmI(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  }
  return `${user}@${os.hostname()}`;
}

/** Terraform's `Lock Info:` block (statemgr.LockInfo.String), plus the holder's pid. */
export function formatLockInfo(info: LockInfo): string {
  const rows: [string, string][] = [
    ['ID', info.id],
    ['Path', info.path],
    ['Operation', info.operation],
    ['Who', info.who],
    ['PID', `${info.pid} on ${info.hostname}`],
    ['Version', info.version],
    ['Created', info.created],
  ];
  return ['Lock Info:', ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(11)}${v}`)].join('\n');
}

/**
 * Whether the holder is a process on this host that no longer exists (the lock is stale).
 * A holder on another host, or a live pid (even one we may not signal), is never stale.
 */
export function isStale(info: LockInfo): boolean {
  if (info.hostname !== os.hostname()) return false;
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

type ReadResult = { kind: 'none' } | { kind: 'held'; info: LockInfo } | { kind: 'unreadable'; detail: string };

function asLockInfo(value: unknown): LockInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const strings = ['id', 'operation', 'who', 'hostname', 'version', 'created', 'path'];
  if (!strings.every((k) => typeof v[k] === 'string') || typeof v['pid'] !== 'number') return undefined;
  return v as unknown as LockInfo;
}

function parseLock(text: string): ReadResult {
  try {
    const info = asLockInfo(JSON.parse(text));
    return info ? { kind: 'held', info } : { kind: 'unreadable', detail: 'it is not a colo lock (missing fields)' };
  } catch (err) {
    return {
      kind: 'unreadable',
      detail: text.length === 0 ? 'it is empty' : `it is not valid JSON (${(err as Error).message})`,
    };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads the current lock. The holder writes its info right after the exclusive create, so an
 * empty or partial file is re-read a few times before it is reported unreadable.
 */
async function readLock(file: string): Promise<ReadResult> {
  let last: ReadResult = { kind: 'none' };
  for (let attempt = 0; attempt < 5; attempt++) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      throw err;
    }
    last = parseLock(text);
    if (last.kind === 'held') return last;
    await sleep(20);
  }
  return last;
}

function readLockSync(file: string): ReadResult {
  try {
    return parseLock(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
}

/** Reads the lock of a state without taking it (for `colo force-unlock` and status output). */
export async function readLockInfo(statePath: string): Promise<LockInfo | null> {
  const r = await readLock(lockPathFor(statePath));
  if (r.kind === 'unreadable')
    throw new LockError(`the lock file ${lockPathFor(statePath)} is unreadable: ${r.detail}`);
  return r.kind === 'held' ? r.info : null;
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
      'colo takes this lock so that only one command changes the pairs at a time. Wait for that',
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
  const maxDelay = opts.maxDelayMs ?? 2000;
  let delay = opts.initialDelayMs ?? 100;
  const started = Date.now();
  const info: LockInfo = {
    id: randomUUID(),
    operation,
    who: whoAmI(),
    pid: process.pid,
    hostname: os.hostname(),
    version: opts.version ?? coloVersion(),
    created: new Date().toISOString(),
    path: path.resolve(statePath),
  };
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let waitedOnce = false;

  for (;;) {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LockError(`cannot create the lock file ${file}: ${(err as Error).message}`);
      }
    }
    if (handle) {
      try {
        info.created = new Date().toISOString();
        await handle.writeFile(`${JSON.stringify(info, null, 2)}\n`, 'utf8');
        await handle.sync();
      } catch (err) {
        await handle.close().catch(() => {});
        await fs.unlink(file).catch(() => {});
        throw new LockError(`cannot write the lock file ${file}: ${(err as Error).message}`);
      }
      await handle.close();
      return makeLock(file, info);
    }

    const current = await readLock(file);
    if (current.kind === 'none') continue; // released between our open and read: try again now
    const elapsed = Date.now() - started;
    const remaining = timeoutMs - elapsed;
    if (remaining <= 0) {
      throw new LockError(
        heldMessage(file, current, timeoutMs > 0 ? elapsed : 0),
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
  return {
    info: frozen,
    file,
    async release() {
      if (released) return false;
      released = true;
      const r = await readLock(file);
      if (r.kind !== 'held' || r.info.id !== info.id) return false;
      try {
        await fs.unlink(file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
    releaseSync() {
      if (released) return false;
      released = true;
      const r = readLockSync(file);
      if (r.kind !== 'held' || r.info.id !== info.id) return false;
      try {
        unlinkSync(file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
  };
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

const DEFAULT_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Releases `lock` when the process exits, including on SIGINT/SIGTERM/SIGHUP (after releasing,
 * the signal is raised again so the process still dies of it, unless other listeners handle it).
 * Returns a function that removes the handlers (call it after a normal release).
 */
export function releaseOnExit(lock: StateLock, signals: readonly NodeJS.Signals[] = DEFAULT_SIGNALS): () => void {
  const onExit = () => {
    try {
      lock.releaseSync();
    } catch {
      // exiting anyway; nothing sensible to do
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    dispose();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const dispose = () => {
    process.removeListener('exit', onExit);
    for (const s of signals) process.removeListener(s, onSignal);
  };
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);
  return dispose;
}

/** Runs `fn` while holding the lock; always releases it, also when `fn` throws. */
export async function withLock<T>(
  statePath: string,
  operation: LockOperation,
  fn: (lock: StateLock) => Promise<T>,
  opts: AcquireOptions = {},
): Promise<T> {
  const lock = await acquireLock(statePath, operation, opts);
  const dispose = releaseOnExit(lock);
  try {
    return await fn(lock);
  } finally {
    dispose();
    await lock.release();
  }
}
