/** Running the real CLI (bin/colo.js -> dist) as a subprocess with its wall time, and reaching the guest. */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COLO_BIN = path.join(ROOT, 'bin', 'colo.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit (includes Node start-up). */
  ms: number;
}

/** Runs `node bin/colo.js ...args`; never throws on a non-zero exit. */
export function colo(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COLO_BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Throws with the CLI's output when it did not exit with one of `codes`. */
export function expectCode(r: CliResult, what: string, codes: number[] = [0]): CliResult {
  if (r.code === null || !codes.includes(r.code)) {
    throw new Error(`${what} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }
  return r;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** GET http://address:port/ with a timeout; resolves the body or rejects. */
export function httpGet(address: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${address}:${port}/ timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls GET until it answers or `timeoutMs` passes; resolves the time from the call until the
 * first answer (ms) and the body, or rejects with the last error.
 */
export async function firstAnswer(address: string, port: number, timeoutMs: number, perTryMs = 2000, intervalMs = 50): Promise<{ ms: number; body: string; tries: number }> {
  const t0 = performance.now();
  let last: unknown;
  let tries = 0;
  while (performance.now() - t0 < timeoutMs) {
    tries++;
    try {
      const body = await httpGet(address, port, Math.min(perTryMs, Math.max(100, timeoutMs - (performance.now() - t0))));
      return { ms: performance.now() - t0, body, tries };
    } catch (e) {
      last = e;
      await sleep(intervalMs);
    }
  }
  throw new Error(`no answer from http://${address}:${port}/ within ${timeoutMs} ms after ${tries} tries: ${(last as Error)?.message ?? last}`);
}

/** Numbers printed by colo apply's colo-start step ("in COLO; mirror N ms, switchover pause N ms"). */
export function applyFigures(stdout: string): { pauseMs?: number; mirrorMs?: number; steps: Record<string, number> } {
  const pause = /switchover pause (\d+) ms/.exec(stdout)?.[1];
  const mirror = /mirror (\d+) ms/.exec(stdout)?.[1];
  const steps: Record<string, number> = {};
  for (const m of stdout.matchAll(/^(vm\.\S+): (?:Creation|Modifications|Destruction) complete after ([\d.]+)(m?s)/gm)) {
    steps[m[1]!] = Number(m[2]) * (m[3] === 's' ? 1000 : 1);
  }
  return { ...(pause ? { pauseMs: Number(pause) } : {}), ...(mirror ? { mirrorMs: Number(mirror) } : {}), steps };
}
