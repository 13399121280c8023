// The tiny test guest boots under QEMU here: its HTTP endpoint answers, its counter advances on
// the endpoint, the serial console and the virtio disk, and continues from the disk after a reboot.
// Accelerator: TCG unless COLO_TEST_ACCEL says otherwise (/dev/kvm exists on these machines but
// does not boot Debian kernels; see lab-findings). QEMU: the cached patched build if present
// (never built here), else the system's qemu-system-x86_64.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedLabQemu, ensureGuest, type LabGuest } from '../../src/lab/assets.ts';

const execFileP = promisify(execFile);
const HTTP_DEADLINE_MS = 90_000;

async function which(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('bash', ['-c', 'command -v "$1"', 'which', cmd]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function httpGet(port: number, urlPath: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

interface Answer {
  boot: string;
  counter: number;
}

function parseAnswer(body: string): Answer {
  const m = /^boot=([0-9a-f]{16}) counter=(\d+)$/m.exec(body);
  assert.ok(m?.[1] !== undefined && m[2] !== undefined, `unexpected answer ${JSON.stringify(body)}`);
  return { boot: m[1], counter: Number(m[2]) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retry fn until it returns a value; `fatal` (checked each round) stops the wait at once. */
async function waitFor<T>(
  what: string,
  deadlineMs: number,
  fn: () => Promise<T | undefined>,
  fatal: () => string | undefined = () => undefined,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < end) {
    const stop = fatal();
    if (stop !== undefined) throw new Error(`${what}: ${stop}`);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(250);
  }
  throw new Error(`${what}: not within ${deadlineMs} ms (last error: ${String(lastError)})`);
}

interface Vm {
  proc: ChildProcess;
  port: number;
  consoleLog: string;
  exited: Promise<void>;
  stderr: string;
}

describe('test guest boots', () => {
  const vms: Vm[] = [];
  let tmp: string | undefined;

  after(async () => {
    for (const vm of vms) await stopVm(vm);
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  async function stopVm(vm: Vm): Promise<void> {
    if (vm.proc.exitCode !== null || vm.proc.signalCode !== null) return;
    vm.proc.kill('SIGTERM');
    const killed = await Promise.race([vm.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!killed) {
      vm.proc.kill('SIGKILL'); // a wedged QEMU ignores SIGTERM
      await vm.exited;
    }
  }

  async function setup(): Promise<{
    qemu: string;
    firmware: string[];
    qemuImg: string;
    guest: LabGuest;
    accel: string;
  }> {
    const guest = await ensureGuest();
    const lab = await cachedLabQemu();
    const systemQemu = await which('qemu-system-x86_64');
    const qemu = lab?.binary ?? systemQemu;
    assert.ok(qemu !== undefined, 'no QEMU: run scripts/build-qemu.sh or apt-get install qemu-system-x86');
    const qemuImg = await which('qemu-img');
    assert.ok(qemuImg !== undefined, 'qemu-img missing: apt-get install qemu-utils');
    const accel = process.env['COLO_TEST_ACCEL'] ?? 'tcg';
    assert.match(accel, /^(tcg|kvm)$/, 'COLO_TEST_ACCEL must be tcg or kvm');
    return { qemu, firmware: lab?.firmwareDirs ?? [], qemuImg, guest, accel };
  }

  async function boot(env: Awaited<ReturnType<typeof setup>>, disk: string, consoleLog: string): Promise<Vm> {
    const port = await freePort();
    const argv = [
      ...env.firmware.flatMap((d) => ['-L', d]),
      '-machine',
      `q35,accel=${env.accel}`,
      '-m',
      '128',
      '-nodefaults',
      '-display',
      'none',
      '-kernel',
      env.guest.kernel,
      '-initrd',
      env.guest.initrd,
      '-append',
      env.guest.cmdline,
      '-drive',
      `if=none,id=disk0,file=${disk},format=qcow2`,
      '-device',
      'virtio-blk-pci,drive=disk0',
      '-netdev',
      `user,id=net0,hostfwd=tcp:127.0.0.1:${port}-:80`,
      '-device',
      'virtio-net-pci,netdev=net0',
      '-serial',
      `file:${consoleLog}`,
    ];
    const proc = spawn(env.qemu, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const vm: Vm = { proc, port, consoleLog, exited, stderr: '' };
    proc.stderr?.on('data', (c: Buffer) => (vm.stderr += c.toString('utf8')));
    vms.push(vm);
    return vm;
  }

  async function firstAnswer(vm: Vm): Promise<Answer> {
    return await waitFor(
      'guest HTTP answer',
      HTTP_DEADLINE_MS,
      async () => parseAnswer(await httpGet(vm.port, '/', 3000)),
      () => (vm.proc.exitCode === null ? undefined : `QEMU exited with ${vm.proc.exitCode}: ${vm.stderr.trim()}`),
    );
  }

  async function diskCounter(env: Awaited<ReturnType<typeof setup>>, disk: string): Promise<number | undefined> {
    const raw = path.join(path.dirname(disk), `${path.basename(disk)}.raw`);
    await execFileP(env.qemuImg, ['convert', '-O', 'raw', disk, raw]);
    const head = (await readFile(raw)).subarray(0, 512).toString('latin1');
    await rm(raw, { force: true });
    const m = /^COUNTER (\d+)\n/.exec(head);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  }

  test(
    'HTTP answers, counter advances on HTTP, console and disk, and survives a reboot',
    { timeout: 5 * 60_000 },
    async (t) => {
      const env = await setup();
      t.diagnostic(`qemu ${env.qemu}, accel ${env.accel}`);
      tmp = await mkdtemp(path.join(os.tmpdir(), 'colo-guest-boot-'));
      const disk = path.join(tmp, 'disk.qcow2');
      await execFileP(env.qemuImg, ['create', '-f', 'qcow2', disk, '64M']);

      // First boot on a blank disk.
      const started = Date.now();
      const vm = await boot(env, disk, path.join(tmp, 'console.log'));
      const a1 = await firstAnswer(vm);
      t.diagnostic(`boot to HTTP answer: ${Date.now() - started} ms`);
      assert.ok(a1.counter <= 5, `a blank disk starts the counter at 0 (got ${a1.counter})`);

      await sleep(2500);
      const a2 = parseAnswer(await httpGet(vm.port, '/cgi-bin/status', 5000));
      assert.equal(a2.boot, a1.boot, 'same boot id within one boot');
      assert.ok(a2.counter > a1.counter, `counter advances: ${a1.counter} -> ${a2.counter}`);

      const line = `COUNTER ${a2.counter} boot=${a2.boot}`;
      await waitFor('counter on the console', 5000, async () => {
        const text = existsSync(vm.consoleLog) ? await readFile(vm.consoleLog, 'utf8') : '';
        return text.split(/\r?\n/).includes(line) ? true : undefined;
      });

      // Let at least one more even value reach the disk, then stop and read sector 0.
      await sleep(2500);
      const a3 = parseAnswer(await httpGet(vm.port, '/', 5000));
      await stopVm(vm);
      const onDisk = await diskCounter(env, disk);
      assert.ok(onDisk !== undefined, 'disk holds COUNTER <N> at offset 0');
      assert.ok(
        onDisk >= a2.counter - 1 && onDisk <= a3.counter + 1,
        `disk counter ${onDisk} vs seen ${a2.counter}..${a3.counter}`,
      );
      assert.equal(onDisk % 2, 0, 'written every 2 s (even values)');

      // Second boot on the same disk: new boot id, counter continues from the disk.
      const vm2 = await boot(env, disk, path.join(tmp, 'console2.log'));
      const b1 = await firstAnswer(vm2);
      assert.notEqual(b1.boot, a1.boot, 'a reboot makes a new boot id');
      assert.ok(b1.counter >= onDisk, `counter continues from the disk: ${onDisk} -> ${b1.counter}`);
      const console2 = await readFile(vm2.consoleLog, 'utf8');
      assert.match(console2, new RegExp(`last counter ${onDisk}\\b`));
      await stopVm(vm2);
    },
  );
});
