/**
 * The real CLI (bin/colo.js -> dist) run as a subprocess, with its wall time, and a GET to the
 * guest's service. Shared by the end-to-end tests (test/helpers/lab.ts) and the benchmarks
 * (bench/lib/cli.ts).
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COLO_BIN = path.join(ROOT, 'bin', 'colo.js');

export interface CliResult {
  code: number | null;
  /** The signal that ended it (SIGKILL when colo was killed), else null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit (includes Node start-up), unrounded. */
  ms: number;
}

/** Runs `node bin/colo.js ...args` without a terminal (CI=1, NO_COLOR=1); never throws on a non-zero exit. */
export function colo(
  args: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    onStdout?: (chunk: string) => void;
    onStderr?: (chunk: string) => void;
  } = {},
): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COLO_BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(String(d));
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(String(d));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** GET http://address:port/PATH (default /) with a timeout; resolves the body of a 200 answer, else rejects. */
export function httpGet(address: string, port: number, timeoutMs = 5000, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () =>
      req.destroy(new Error(`GET http://${address}:${port}${path} timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}
