/**
 * For the commands that refresh until stopped (status --watch, metrics --listen): one session whose
 * SSH connections stay open, and per refresh the state lock and the QMP connections, both given up
 * again at its end. QEMU serves one QMP client at a time, so between refreshes every other colo
 * command can reach the pairs; a refresh that finds the lock held by a command that changes the
 * hosts skips its turn and says who holds it, instead of waiting.
 */
import type { Spec } from '../spec/types.ts';
import type { Session } from '../engine/session.ts';
import { stateFileStore, type StateStore } from '../engine/state-store.ts';
import { LockError, withLock } from '../state/lock.ts';
import { openSession, type HostOptions, type StateLockOptions } from './run-context.ts';

export type RefreshResult<T> = { ok: true; value: T } | { ok: false; busy: string };

export interface Refresher {
  run<T>(fn: (session: Session, store: StateStore) => Promise<T>): Promise<RefreshResult<T>>;
  close(): Promise<void>;
}

/** `briefWaitMs`: how long a refresh waits for a brief holder (another status, a plan) before it skips. */
export function openRefresher(spec: Spec, opts: HostOptions, lock: StateLockOptions, briefWaitMs: number): Refresher {
  const { session, close } = openSession(spec, opts);
  const store = stateFileStore(lock.statePath);
  return {
    async run(fn) {
      try {
        const value = await withLock(lock.statePath, lock.operation, () => fn(session, store), {
          timeoutMs: 0,
          briefHolderWaitMs: briefWaitMs,
        });
        return { ok: true, value };
      } catch (err) {
        if (err instanceof LockError) {
          const h = err.holder;
          const busy = h
            ? `colo ${h.operation} (pid ${h.pid} on ${h.hostname}) holds the state lock`
            : (err.message.split('\n')[0] ?? err.message);
          return { ok: false, busy };
        }
        throw err;
      } finally {
        await session.dropAllQmp();
      }
    },
    close,
  };
}
