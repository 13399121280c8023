/**
 * Pid files and process liveness on this machine: the one TS implementation (remote scripts use the
 * shell fragment PID_RUNNING_FN of src/render/scripts/pid-running.ts, which means the same).
 */
import { readFileSync } from 'node:fs';

/** Parse the contents of a pid file: a positive decimal integer, whitespace allowed around it. */
export function parsePidFile(text: string): number | null {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t)) return null;
  const pid = Number(t);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether process `pid` runs on this machine: it exists (even when we may not signal it) and is not a
 * zombie (exited, not yet reaped).
 */
export function pidRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
