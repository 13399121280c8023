/**
 * What every host-touching command shares: the state path, a Session whose transports verify host
 * keys, clean shutdown (also on Ctrl-C), and for the commands that change hosts the state lock:
 * withLockedSession.
 */
import path from 'node:path';
import type { Spec } from '../spec/types.ts';
import { Session } from '../engine/session.ts';
import { stateFileStore, type StateStore } from '../engine/state-store.ts';
import { withLock, type AcquireOptions } from '../state/lock.ts';
import { BRIEF_OPERATIONS, type LockOperation } from '../state/types.ts';
import { observedHosts } from '../plan/observe-replies.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { HostLockOptions } from '../engine/host-lock.ts';
import { createTransports } from '../transport/factory.ts';
import { parseDuration } from './parse-duration.ts';
import { installTransportCleanup } from '../transport/ssh-pool.ts';

export interface HostOptions {
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
}

export function defaultStatePath(specFile: string): string {
  return path.join(path.dirname(path.resolve(specFile)), '.colo', 'state.json');
}

export function statePathFor(opts: { state?: string; file: string }): string {
  return opts.state ? path.resolve(opts.state) : defaultStatePath(opts.file);
}

export function openSession(spec: Spec, opts: HostOptions): { session: Session; close: () => Promise<void> } {
  const transports = createTransports(spec.hosts, {
    ...(opts.knownHosts ? { knownHostsFile: opts.knownHosts } : {}),
    acceptNewHostKeys: !!opts.acceptNewHostKeys,
    onHostKey: (host, verdict) => {
      if (verdict.accepted === 'new')
        process.stderr.write(
          `colo: recorded the new host key of ${host} (${verdict.fingerprint}) in ${verdict.file}\n`,
        );
    },
  });
  const uninstall = installTransportCleanup();
  const session = new Session(spec, (h) => transports.get(h));
  return {
    session,
    close: async () => {
      await session.close();
      await transports.close();
      uninstall();
    },
  };
}

/** Runs `fn` with a session, closed afterwards whatever happens. */
export async function withSession<T>(spec: Spec, opts: HostOptions, fn: (session: Session) => Promise<T>): Promise<T> {
  const { session, close } = openSession(spec, opts);
  try {
    return await fn(session);
  } finally {
    await close();
  }
}

export interface StateLockOptions extends Pick<AcquireOptions, 'timeoutMs' | 'onWait'> {
  onReleaseError?: (message: string) => void;
  statePath: string;
  operation: LockOperation;
}

/**
 * The state lock of a command: `--lock-timeout` (default one try; a brief read-only holder such as
 * a `colo verify` is waited for anyway), and a line on stderr naming the holder when it must wait.
 */
export function stateLockFor(
  opts: { state?: string; file: string; lockTimeout?: string },
  operation: LockOperation,
): StateLockOptions {
  return {
    statePath: statePathFor(opts),
    operation,
    timeoutMs: parseDuration(opts.lockTimeout ?? '0s', '--lock-timeout'),
    onWait: (holder) =>
      process.stderr.write(
        holder
          ? `Acquiring state lock: waiting for colo ${holder.operation} (pid ${holder.pid} on ${holder.hostname}) ` +
              `to finish...\n`
          : 'Acquiring state lock. This may take a few moments...\n',
      ),
    onReleaseError: (message) => process.stderr.write(`colo: ${message}\n`),
  };
}

/**
 * For every command that reaches the hosts: takes the state lock (released on exit and Ctrl-C too),
 * opens a session, and runs `fn` with it and the state file; closes the session, then releases the
 * lock. Read-only commands (plan, status, verify) hold it too: QEMU serves one QMP client at a time,
 * so two colo runs must not use a pair's QMP sockets at once. A command that changes hosts (apply,
 * destroy, failover, drill) also holds the host lock of every host it touches, before it observes
 * anything (src/engine/host-lock.ts): another colo with another state file is refused there.
 */
export function withLockedSession<T>(
  spec: Spec,
  opts: HostOptions,
  lock: StateLockOptions,
  fn: (session: Session, store: StateStore) => Promise<T>,
  hostLock?: (state: ColoState | null) => HostLockOptions,
): Promise<T> {
  const { statePath, operation, ...acquire } = lock;
  const changesHosts = !BRIEF_OPERATIONS.includes(operation);
  return withLock(
    statePath,
    operation,
    (stateLock) =>
      withSession(spec, opts, async (s) => {
        const store = stateFileStore(statePath);
        if (changesHosts) {
          const state = await store.read();
          await s.lockHosts(stateLock.info, observedHosts(spec, state), hostLock?.(state));
        }
        return fn(s, store);
      }),
    acquire,
  );
}
