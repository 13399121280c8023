/** The state lock's data (src/state/lock.ts). */

/** Operations that take the state lock. Other strings are allowed for later commands. */
export type LockOperation = 'apply' | 'destroy' | 'failover' | 'reprotect' | 'plan' | 'refresh' | 'lab' | (string & {});

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
