/**
 * Restarting a lab sshd that was stopped or killed (`colo lab revive-host`), with the config it ran
 * with, so its host key and port (pinned in the lab's spec) stay the same.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pidRunning } from '../transport/pid.ts';
import { SSHD_BINARY } from './sshd.ts';

/** What restarting a stopped sshd needs: its config (address, port, key, pid file) and where it ran. */
export interface SshdRestart {
  address: string;
  port: number;
  configFile: string;
  logFile: string;
  pidFile: string;
  netns?: string;
  /** The argv prefix it ran through inside the namespace (the netns lab's host init). */
  launcher?: string[];
}

/**
 * Starts a stopped sshd again with its own config (same host key, port and pid file) and waits until
 * it listens; its log is appended to, and only what this start wrote counts.
 */
export async function restartSshd(h: SshdRestart, timeoutMs = 10000): Promise<void> {
  const from = existsSync(h.logFile) ? readFileSync(h.logFile).length : 0;
  const sshd = [SSHD_BINARY, '-f', h.configFile, '-E', h.logFile];
  const [cmd, ...args] = h.netns ? ['ip', 'netns', 'exec', h.netns, ...(h.launcher ?? []), ...sshd] : sshd;
  const err = await new Promise<string>((resolve, reject) => {
    const p = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('exit', (c) => resolve(c === 0 ? '' : `${SSHD_BINARY} exited ${c}: ${out.trim()}`));
  });
  if (err) throw new Error(err);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const log = existsSync(h.logFile) ? readFileSync(h.logFile).subarray(from).toString() : '';
    if (existsSync(h.pidFile) && log.includes(`Server listening on ${h.address} port ${h.port}`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on ${h.address}:${h.port} did not listen within ${timeoutMs} ms (log: ${h.logFile})`);
}

/** Whether the sshd of this pid file runs (its process is alive and was started with this config). */
export function sshdRunning(pidFile: string, configFile: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !pidRunning(pid)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(configFile); // sshd rewrites its argv
  } catch {
    return false;
  }
}
