// The lab guest's stream service against real QEMU: the guest boots alone with a user netdev that
// forwards GUEST_STREAM_PORT to 127.0.0.1; one connection brings seq=1, 2, ... one line every 100 ms
// with a constant boot id; a second connection starts again at seq=1 with the same boot id.
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

describe('test guest: the stream service', () => {
  let proc: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let tmp: string | undefined;
  const watches: StreamWatch[] = [];

  after(async () => {
    for (const w of watches) w.close();
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  test(
    `one line every ${GUEST_STREAM_PERIOD_MS} ms on port ${GUEST_STREAM_PORT}, seq from 1 per connection, one boot id`,
    { timeout: 4 * 60_000 },
    async (t) => {
      const guest = await ensureGuest();
      const lab = await cachedLabQemu();
      const qemu = lab?.binary ?? (await systemQemu());
      assert.ok(qemu !== undefined, 'no QEMU: run scripts/build-qemu.sh or apt-get install qemu-system-x86');
      const accel = process.env['COLO_TEST_ACCEL'] ?? 'tcg';
      assert.match(accel, /^(tcg|kvm)$/, 'COLO_TEST_ACCEL must be tcg or kvm');
      tmp = await mkdtemp(path.join(os.tmpdir(), 'colo-guest-stream-'));
      const consoleLog = path.join(tmp, 'console.log');
      const port = await freePort();
      let stderr = '';
      proc = spawn(
        qemu,
        [
          ...(lab?.firmwareDirs ?? []).flatMap((d) => ['-L', d]),
          ...['-machine', `pc,accel=${accel}`, '-m', '128', '-nodefaults', '-display', 'none'],
          ...['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', guest.cmdline],
          ...['-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${port}-:${GUEST_STREAM_PORT}`],
          ...['-device', 'virtio-net-pci,netdev=net0', '-serial', `file:${consoleLog}`],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      exited = new Promise<void>((resolve) => proc!.once('exit', () => resolve()));
      proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));

      // Slirp accepts the forwarded connection before the guest listens, then closes it: retry until
      // the first line arrives.
      const started = Date.now();
      const first = await eventually(
        'the first stream line',
        async () => {
          if (proc!.exitCode !== null) throw new Error(`QEMU exited with ${proc!.exitCode}: ${stderr.trim()}`);
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
      t.diagnostic(`boot to first stream line: ${Date.now() - started} ms`);
      const lines = await first.waitForLines(LINES, LINES * GUEST_STREAM_PERIOD_MS * 10);
      assert.deepEqual(streamProblems(lines, first.unparsed), []);
      assert.deepEqual(
        lines.map((l) => l.seq),
        Array.from({ length: LINES }, (_, i) => i + 1),
      );
      const boot = lines[0]!.boot;
      assert.match(boot, /^[0-9a-f]{16}$/, "the guest's boot id: 16 hex digits");
      const console = await readFile(consoleLog, 'utf8');
      assert.match(console, new RegExp(`up boot=${boot} .*stream=${GUEST_STREAM_PORT}`), 'the boot id of the console');

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
});
