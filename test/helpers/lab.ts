/**
 * End-to-end test harness: a real lab (two sshd hosts on 127.0.0.11/12, the patched test QEMU, the
 * tiny guest) in a temp dir, the real CLI run as a subprocess, and helpers to reach the guest.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:net';
import { parseDocument } from 'yaml';
import { labDown, labUp, type LabInfo } from '../../src/lab/lab.ts';
import { QmpClient } from '../../src/qmp/client.ts';

import { colo } from './cli.ts';

export { colo, COLO_BIN, httpGet, ROOT, type CliResult } from './cli.ts';

export interface TestLab extends LabInfo {
  spec: string;
  down(): Promise<void>;
  /**
   * A QMP client of the lab QEMU. QEMU serves ONE QMP client at a time: close it (or use withQmp) before colo runs
   * again.
   */
  qmp(host: 'alpha' | 'beta', vm?: string): Promise<QmpClient>;
  withQmp<T>(host: 'alpha' | 'beta', fn: (c: QmpClient) => Promise<T>, vm?: string): Promise<T>;
  pid(host: 'alpha' | 'beta', vm?: string): Promise<number | null>;
}

export interface StartLabOptions {
  vms?: number;
  checkpointMs?: number;
  /** Appended to every VM's kernel command line, e.g. `colo_records=200` (scripts/guest/init). */
  guestArgs?: string;
  /** Extra options for every QEMU (defaults.extraArgs.both), e.g. TRACE_ARGS of test/helpers/witness.ts. */
  trace?: readonly string[];
  /**
   * TLS on every replication channel: `colo tls init --dir <lab>/tls` makes a CA and per-host credentials,
   * the spec gets each host's tls.dir and the top-level `tls: { enabled: true }`.
   */
  tls?: boolean;
}

export async function startLab(opts: StartLabOptions = {}): Promise<TestLab> {
  const dir = await mkdtemp(path.join(tmpdir(), 'colo-e2e-'));
  const info = await labUp({
    dir: path.join(dir, 'lab'),
    ...(opts.vms ? { vms: opts.vms } : {}),
    ...(opts.checkpointMs ? { checkpointMs: opts.checkpointMs } : {}),
  });
  if (opts.tls) {
    const tlsDir = path.join(info.dir, 'tls');
    const r = await colo(['tls', 'init', '--dir', tlsDir, '-f', info.specFile]);
    if (r.code !== 0) throw new Error(`colo tls init failed: ${r.stdout}${r.stderr}`);
    const doc = parseDocument(await readFile(info.specFile, 'utf8'));
    for (const h of info.hosts) doc.setIn(['hosts', h.name, 'tls'], doc.createNode({ dir: path.join(tlsDir, h.name) }));
    doc.set('tls', doc.createNode({ enabled: true }));
    await writeFile(info.specFile, doc.toString({ lineWidth: 0 }));
  }
  if (opts.guestArgs || opts.trace) {
    const doc = parseDocument(await readFile(info.specFile, 'utf8'));
    for (const name of info.vms.map((v) => v.name)) {
      const append = doc.getIn(['vms', name, 'boot', 'append']);
      if (opts.guestArgs) doc.setIn(['vms', name, 'boot', 'append'], `${String(append)} ${opts.guestArgs}`);
    }
    if (opts.trace) doc.setIn(['defaults', 'extraArgs'], doc.createNode({ both: [...opts.trace] }));
    await writeFile(info.specFile, doc.toString({ lineWidth: 0 }));
  }
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

/** Retries fn until it resolves, up to timeoutMs. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
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

/**
 * `qemu-img compare -U` of two qcow2 images that running QEMUs may hold open, retried until they
 * compare equal (exit 1 can be a write that landed between the two reads); returns its output, or
 * fails after the timeout with qemu-img's last words.
 */
export async function imagesIdentical(a: string, b: string, timeoutMs = 20_000): Promise<string> {
  return eventually(
    `qemu-img compare ${path.basename(a)} ${path.basename(b)}`,
    () =>
      new Promise<string>((resolve, reject) => {
        const p = spawn('qemu-img', ['compare', '-U', '-f', 'qcow2', '-F', 'qcow2', a, b], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out.trim()}`))));
      }),
    timeoutMs,
    100,
  );
}

/** Starts a lab host's sshd again (stopped by a test) and waits until colo reaches the host. */
export async function restartLabSshd(lab: TestLab, host: 'alpha' | 'beta'): Promise<void> {
  const h = lab.hosts.find((x) => x.name === host)!;
  await new Promise<void>((resolve, reject) => {
    const p = spawn('/usr/sbin/sshd', ['-f', h.configFile, '-E', h.logFile], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sshd -f ${h.configFile} exited ${code}`))));
  });
  await eventually(
    `${host} sshd back`,
    async () => {
      const r = await colo(['status', '-f', lab.spec, '--json']);
      const vm = (
        JSON.parse(r.stdout) as {
          vms: { primary: { host: string; reachable: boolean }; secondary: { host: string; reachable: boolean } }[];
        }
      ).vms[0]!;
      const side = vm.primary.host === host ? vm.primary : vm.secondary;
      if (!side.reachable) throw new Error(`${host} not reachable yet`);
    },
    20_000,
  );
}
