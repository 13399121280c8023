/**
 * Process liveness on this machine: the one TS implementation (remote scripts use the shell fragment
 * PID_RUNNING_FN of src/render/scripts/transport-scripts.ts, which means the same). Pid files are
 * parsed by parsePidFile (pid-file.ts).
 */
import { readFileSync } from 'node:fs';

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

/** Waits until none of `pids` runs or `ms` have passed, checking every `everyMs`; returns those still running. */
export async function waitPidsGone(pids: readonly number[], ms: number, everyMs = 50): Promise<number[]> {
  const end = Date.now() + ms;
  let left = pids.filter(pidRunning);
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, everyMs));
    left = left.filter(pidRunning);
  }
  return left;
}
