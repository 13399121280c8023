/** The state lock's holder: who it is, how colo shows it, and whether it is stale. */
import * as os from 'node:os';
import type { LockInfo } from './types.ts';

export function whoAmI(): string {
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
