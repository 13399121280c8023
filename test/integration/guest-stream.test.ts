// The lab guest's stream service and static addresses, against real QEMU (the guest alone, no COLO):
// - with a user netdev and the default command line (eth0 10.0.2.15), a forwarded GUEST_STREAM_PORT
//   brings seq=1, 2, ... one line every 100 ms with one boot id; a second connection starts again at
//   seq=1 with the same boot id;
// - with colo.ip0=/colo.ip1= (src/lab/guest-cmdline.ts) on two user netdevs whose slirp nets are
//   198.18 /24s, each forward to the static address reaches the stream: each NIC has its address.
// Accelerator TCG (COLO_TEST_ACCEL=kvm to change); QEMU: the cached patched build if present, else
// the system's qemu-system-x86_64.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedLabQemu, ensureGuest } from '../../src/lab/assets.ts';
import { guestKernelCmdline } from '../../src/lab/guest-cmdline.ts';
import { GUEST_STREAM_PERIOD_MS, GUEST_STREAM_PORT } from '../../src/lab/guest-services.ts';
import { arrivalGaps, streamProblems, StreamWatch } from '../helpers/stream.ts';
import { eventually } from '../helpers/lab.ts';

const execFileP = promisify(execFile);
const LINES = 20;

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

async function systemQemu(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('bash', ['-c', 'command -v qemu-system-x86_64']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

interface Vm {
  proc: ChildProcess;
  exited: Promise<void>;
  consoleLog: string;
  stderr: string;
}

describe('test guest: the stream service and static addresses', () => {
  const vms: Vm[] = [];
  const watches: StreamWatch[] = [];
  let tmp: string | undefined;

  after(async () => {
    for (const w of watches) w.close();
    for (const vm of vms) {
      if (vm.proc.exitCode === null && vm.proc.signalCode === null) {
        vm.proc.kill('SIGKILL');
        await vm.exited;
      }
    }
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  /** Boots the guest with these -netdev user values (one virtio NIC each) and kernel command line. */
  async function bootGuest(name: string, netdevs: string[], cmdline?: (base: string) => string): Promise<Vm> {
    const guest = await ensureGuest();
    const lab = await cachedLabQemu();
    const qemu = lab?.binary ?? (await systemQemu());
    assert.ok(qemu !== undefined, 'no QEMU: run scripts/build-qemu.sh or apt-get install qemu-system-x86');
    const accel = process.env['COLO_TEST_ACCEL'] ?? 'tcg';
    assert.match(accel, /^(tcg|kvm)$/, 'COLO_TEST_ACCEL must be tcg or kvm');
    tmp ??= await mkdtemp(path.join(os.tmpdir(), 'colo-guest-stream-'));
    const consoleLog = path.join(tmp, `${name}-console.log`);
    const proc = spawn(
      qemu,
      [
        ...(lab?.firmwareDirs ?? []).flatMap((d) => ['-L', d]),
        ...['-machine', `pc,accel=${accel}`, '-m', '128', '-nodefaults', '-display', 'none'],
        ...['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', (cmdline ?? ((b) => b))(guest.cmdline)],
        ...netdevs.flatMap((n, i) => ['-netdev', `user,id=net${i},${n}`, '-device', `virtio-net-pci,netdev=net${i}`]),
        ...['-serial', `file:${consoleLog}`],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const vm: Vm = {
      proc,
      exited: new Promise((resolve) => proc.once('exit', () => resolve())),
      consoleLog,
      stderr: '',
    };
    proc.stderr?.on('data', (c: Buffer) => (vm.stderr += c.toString('utf8')));
    vms.push(vm);
    return vm;
  }

  /**
   * The first connection that brings a line. Slirp accepts a forwarded connection before the guest
   * listens, then closes it: retried until a line arrives.
   */
  async function firstStream(vm: Vm, port: number): Promise<StreamWatch> {
    return await eventually(
      `the first stream line on 127.0.0.1:${port}`,
      async () => {
        if (vm.proc.exitCode !== null) throw new Error(`QEMU exited with ${vm.proc.exitCode}: ${vm.stderr.trim()}`);
        const w = await StreamWatch.open('127.0.0.1', port, 3000);
        try {
          await w.waitForLines(1, 3000);
        } catch (e) {
          w.close();
          throw e;
        }
        watches.push(w);
        return w;
      },
      120_000,
      500,
    );
  }

  test(
    `user net: a line every ${GUEST_STREAM_PERIOD_MS} ms on port ${GUEST_STREAM_PORT}, seq from 1 per connection`,
    { timeout: 4 * 60_000 },
    async (t) => {
      const port = await freePort();
      const vm = await bootGuest('user', [`hostfwd=tcp:127.0.0.1:${port}-:${GUEST_STREAM_PORT}`]);
      const started = Date.now();
      const first = await firstStream(vm, port);
      t.diagnostic(`boot to first stream line: ${Date.now() - started} ms`);
      const lines = await first.waitForLines(LINES, LINES * GUEST_STREAM_PERIOD_MS * 10);
      assert.deepEqual(streamProblems(lines, first.unparsed), []);
      assert.deepEqual(
        lines.map((l) => l.seq),
        Array.from({ length: LINES }, (_, i) => i + 1),
      );
      const boot = lines[0]!.boot;
      assert.match(boot, /^[0-9a-f]{16}$/, "the guest's boot id: 16 hex digits");
      const console = await readFile(vm.consoleLog, 'utf8');
      assert.match(console, new RegExp(`up boot=${boot} .*stream=${GUEST_STREAM_PORT}`), 'the boot id of the console');
      assert.match(console, /colo-guest: eth0 10\.0\.2\.15\/24/, 'the user-net default address');

      // Spacing: the 19 gaps span ~1.9 s; each gap within generous bounds (TCG, a loaded machine).
      const gaps = arrivalGaps(lines);
      const span = lines[LINES - 1]!.atMs - lines[0]!.atMs;
      t.diagnostic(
        `gaps ms: min ${Math.min(...gaps).toFixed(1)}, max ${Math.max(...gaps).toFixed(1)}, span ${span.toFixed(0)}`,
      );
      const expected = (LINES - 1) * GUEST_STREAM_PERIOD_MS;
      assert.ok(span > expected * 0.7 && span < expected * 2, `${LINES} lines spanned ${span.toFixed(0)} ms`);
      assert.ok(Math.max(...gaps) < GUEST_STREAM_PERIOD_MS * 6, `a gap of ${Math.max(...gaps).toFixed(0)} ms`);

      // A second connection, while the first stays open: from seq=1 again, the same boot id.
      const second = await StreamWatch.open('127.0.0.1', port, 3000);
      watches.push(second);
      const lines2 = await second.waitForLines(5, 5000);
      assert.deepEqual(streamProblems(lines2, second.unparsed), []);
      assert.deepEqual(
        lines2.map((l) => [l.seq, l.boot]),
        [1, 2, 3, 4, 5].map((s) => [s, boot]),
      );
      // The first connection went on meanwhile, still in order.
      const more = await first.waitForLines(LINES + 10, 5000);
      assert.deepEqual(streamProblems(more, first.unparsed), []);
      assert.equal(first.ended, undefined, 'the first connection is still open');
    },
  );

  test(
    'static addresses from the kernel command line: colo.ip0 on eth0, colo.ip1 on eth1',
    { timeout: 4 * 60_000 },
    async () => {
      // Each user netdev's slirp net is a 198.18 /24 (host side .2); the forwards go to the static addresses.
      const ports = [await freePort(), await freePort()];
      const addresses = ['198.18.0.15/24', '198.18.1.25/24'];
      const vm = await bootGuest(
        'static',
        addresses.map((a, i) => {
          const [ip] = a.split('/');
          return `net=198.18.${i}.0/24,host=198.18.${i}.2,hostfwd=tcp:127.0.0.1:${ports[i]}-${ip}:${GUEST_STREAM_PORT}`;
        }),
        (base) => guestKernelCmdline(base, { addresses, gateway: '198.18.0.2' }),
      );
      const boots: string[] = [];
      for (const port of ports) {
        const w = await firstStream(vm, port);
        const lines = await w.waitForLines(5, 5000);
        assert.deepEqual(streamProblems(lines, w.unparsed), []);
        boots.push(lines[0]!.boot);
      }
      assert.equal(boots[0], boots[1], 'one guest behind both NICs');
      const console = await readFile(vm.consoleLog, 'utf8');
      assert.match(console, /colo-guest: eth0 198\.18\.0\.15\/24/);
      assert.match(console, /colo-guest: eth1 198\.18\.1\.25\/24/);
      assert.doesNotMatch(console, /10\.0\.2\.15|ignoring malformed|no route via/);
    },
  );
});
