/** The state lock's data (src/state/lock.ts). */

/** Operations that take the state lock. Other strings are allowed for later commands. */
export type LockOperation =
  | 'apply'
  | 'destroy'
  | 'failover'
  | 'drill'
  | 'reprotect'
  | 'plan'
  | 'status'
  | 'verify'
  | 'refresh'
  | 'metrics'
  | 'lab'
  | (string & {});

/**
 * Operations that only read and end on their own within their deadlines (QEMU serves one QMP client
 * at a time, so they hold the lock too). A command that finds one of them holding the lock waits for
 * it to finish (AcquireOptions.briefHolderWaitMs) instead of failing at once.
 */
export const BRIEF_OPERATIONS: readonly LockOperation[] = ['plan', 'status', 'verify', 'refresh', 'metrics'];

/** Content of the lock file `<state path>.lock` (Terraform's LockInfo plus pid and hostname). */
export interface LockInfo {
  /** Random UUID; `colo force-unlock <id>` needs it. */
  id: string;
  operation: LockOperation;
  /** user@hostname */
  who: string;
  pid: number;
  hostname: string;
  /** colo version of the holder. */
  version: string;
  /** ISO 8601 UTC time the lock was taken. */
  created: string;
  /** Path of the state file the lock protects. */
  path: string;
}
