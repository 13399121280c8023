/**
 * Cutting colo's SSH connections to a lab host from the outside: the per-connection sshd processes
 * (children of the host's listening sshd) are killed, as a network drop or a restarted sshd would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { TestLab } from './lab.ts';

/** Per-connection sshd processes of a listener (its children). */
export function sshdChildren(listenerPidFile: string): number[] {
  const listener = Number(readFileSync(listenerPidFile, 'utf8').trim());
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === listener;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Kills every SSH connection to the host's sshd; returns how many. */
export function cutSsh(lab: TestLab, host: 'alpha' | 'beta'): number {
  let killed = 0;
  for (const pid of sshdChildren(lab.hosts.find((h) => h.name === host)!.pidFile)) {
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      /* gone */
    }
  }
  return killed;
}
