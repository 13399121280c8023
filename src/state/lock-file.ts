/**
 * The lock file `<state path>.lock`: reading and parsing it (a holder writes its info right after the
 * exclusive create, so a partial file is re-read a few times), and the lock's error type.
 */
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { LockInfo } from './types.ts';

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

export type ReadResult = { kind: 'none' } | { kind: 'held'; info: LockInfo } | { kind: 'unreadable'; detail: string };

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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads the current lock. The holder writes its info right after the exclusive create, so an
 * empty or partial file is re-read a few times before it is reported unreadable.
 */
export async function readLock(file: string): Promise<ReadResult> {
  const odd = await notARegularFile(file);
  if (odd) return odd;
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

/**
 * A lock path that is a symbolic link (dangling or not) or not a regular file is no lock colo made:
 * the exclusive create fails on it and reading through it would say "none", so the retry loop would
 * spin forever. It is reported unreadable instead: held by nobody colo knows, cleared by force-unlock.
 */
async function notARegularFile(file: string): Promise<ReadResult | undefined> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  if (st.isSymbolicLink()) {
    const target = await fs.readlink(file).catch(() => '?');
    return { kind: 'unreadable', detail: `it is a symbolic link (to ${target}), which colo never creates` };
  }
  if (!st.isFile()) return { kind: 'unreadable', detail: 'it is not a regular file' };
  return undefined;
}

export function readLockSync(file: string): ReadResult {
  try {
    return parseLock(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
}
