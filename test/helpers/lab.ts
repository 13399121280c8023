/**
 * End-to-end test harness: a real lab (two sshd hosts on 127.0.0.11/12, the patched test QEMU, the
 * tiny guest) in a temp dir, the real CLI run as a subprocess, and helpers to reach the guest.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, type LabInfo } from '../../src/lab/lab.ts';
import { QmpClient } from '../../src/qmp/client.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COLO_BIN = path.join(ROOT, 'bin', 'colo.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the real CLI (compiled dist via bin/colo.js); never throws on a non-zero exit. */
export function colo(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; onStdout?: (chunk: string) => void } = {}): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COLO_BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(String(d));
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - t0) });
    });
  });
}

export interface TestLab extends LabInfo {
  spec: string;
  down(): Promise<void>;
  /** A QMP client of the lab QEMU. QEMU serves ONE QMP client at a time: close it (or use withQmp) before colo runs again. */
  qmp(host: 'alpha' | 'beta', vm?: string): Promise<QmpClient>;
  withQmp<T>(host: 'alpha' | 'beta', fn: (c: QmpClient) => Promise<T>, vm?: string): Promise<T>;
  pid(host: 'alpha' | 'beta', vm?: string): Promise<number | null>;
}

export async function startLab(opts: { vms?: number; checkpointMs?: number } = {}): Promise<TestLab> {
  const dir = await mkdtemp(path.join(tmpdir(), 'colo-e2e-'));
  const info = await labUp({ dir: path.join(dir, 'lab'), ...(opts.vms ? { vms: opts.vms } : {}), ...(opts.checkpointMs ? { checkpointMs: opts.checkpointMs } : {}) });
  const clients: QmpClient[] = [];
  const qmp = async (host: 'alpha' | 'beta', vm = 'web'): Promise<QmpClient> => {
    const sock = path.join(info.dir, 'hosts', host, vm, 'qmp.sock');
    const stream = connect(sock);
    await new Promise<void>((res, rej) => {
      stream.once('connect', () => res());
      stream.once('error', rej);
    });
    const c = await QmpClient.connect(stream, { label: `test ${vm}@${host}` });
    clients.push(c);
    return c;
  };
  return {
    ...info,
    spec: info.specFile,
    async down() {
      for (const c of clients) await c.close().catch(() => undefined);
      if (process.env.COLO_E2E_KEEP === '1') {
        process.stderr.write(`COLO_E2E_KEEP=1: lab left running in ${info.dir} (colo lab down --dir ${info.dir})\n`);
        return;
      }
      await labDown(info.dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    qmp,
    async withQmp(host, fn, vm = 'web') {
      const c = await qmp(host, vm);
      try {
        return await fn(c);
      } finally {
        await c.close();
      }
    },
    async pid(host, vm = 'web') {
      const f = path.join(info.dir, 'hosts', host, vm, 'qemu.pid');
      if (!existsSync(f)) return null;
      const pid = Number((await readFile(f, 'utf8')).trim());
      try {
        process.kill(pid, 0);
        const st = await readFile(`/proc/${pid}/status`, 'utf8');
        return /^State:\s*Z/m.test(st) ? null : pid;
      } catch {
        return null;
      }
    },
  };
}

/** GET http://address:port/ with a timeout; resolves the body or rejects. */
export function httpGet(address: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${address}:${port}/ timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Retries fn until it resolves, up to timeoutMs. */
export async function eventually<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw new Error(`${what}: not within ${timeoutMs} ms: ${(last as Error)?.message ?? last}`);
}

/** Parses the guest's HTTP answer (`boot=<id> counter=<n>` in some form). */
export function parseGuestAnswer(body: string): { boot: string; counter: number } {
  const boot = /boot[=: ]+([\w-]+)/i.exec(body)?.[1];
  const counter = /counter[=: ]+(\d+)/i.exec(body)?.[1];
  if (!boot || counter === undefined) throw new Error(`unexpected guest answer: ${body.slice(0, 200)}`);
  return { boot, counter: Number(counter) };
}

export async function editSpec(file: string, fn: (text: string) => string): Promise<void> {
  await writeFile(file, fn(await readFile(file, 'utf8')));
}
