/**
 * QmpClient and probeQemu against a real QEMU (the system qemu-system-x86_64, or $COLO_TEST_QEMU),
 * reached over a unix socket with node:net. No guest: `-machine none -S`.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { QmpClient } from '../../src/qmp/client.ts';
import { dialectFromProbe, probeBinaryVersion, probeQemu } from '../../src/qmp/probe.ts';
import { QmpError } from '../../src/qmp/types.ts';
import type { QmpCloseInfo } from '../../src/qmp/client.ts';

const QEMU = process.env.COLO_TEST_QEMU ?? 'qemu-system-x86_64';

function qemuVersionOutput(): string {
  try {
    return execFileSync(QEMU, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    throw new Error(
      `${QEMU} is needed for this test and could not be run (${(err as Error).message}); install Debian's ` +
        `qemu-system-x86 (apt-get install -y qemu-system-x86) or set COLO_TEST_QEMU`,
    );
  }
}

async function waitForSocket(p: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`QEMU exited with ${child.exitCode} before its QMP socket appeared: ${stderr()}`);
    try {
      if ((await fs.stat(p)).isSocket()) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`QMP socket ${p} did not appear within ${timeoutMs} ms: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function connectSocket(p: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(p);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('QMP against a real QEMU', () => {
  let dir = '';
  let child: ChildProcess | undefined;
  let stderr = '';
  let qmp: QmpClient | undefined;
  let versionOutput = '';
  const closes: QmpCloseInfo[] = [];
  let setupError: Error | undefined;

  /** A setup failure (e.g. no QEMU) fails every test with its message, instead of only cancelling them. */
  function ready(): QmpClient {
    if (setupError) throw setupError;
    assert.ok(qmp, 'QMP client not connected');
    return qmp;
  }

  before(async () => {
    try {
      await setUp();
    } catch (err) {
      setupError = err as Error;
    }
  });

  async function setUp(): Promise<void> {
    versionOutput = qemuVersionOutput();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-qmp-real-'));
    const sock = path.join(dir, 'q.sock');
    child = spawn(
      QEMU,
      ['-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-qmp', `unix:${sock},server=on,wait=off`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitForSocket(sock, child, () => stderr, 15_000);
    qmp = await QmpClient.connect(await connectSocket(sock), {
      timeoutMs: 5000,
      callTimeoutMs: 10_000,
      label: 'test qemu',
    });
    qmp.on('close', (i) => closes.push(i));
  }

  after(async () => {
    await qmp?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('handshake exposes the greeting; query-status says prelaunch', async () => {
    const qmp = ready();
    assert.deepEqual(qmp.version, probeBinaryVersion(versionOutput).version);
    const status = await qmp.execute<{ status: string; running: boolean }>('query-status');
    assert.equal(status.status, 'prelaunch');
    assert.equal(status.running, false);
  });

  test('probe: version matches --version, Debian 7.2 build has COLO and replication', async () => {
    const qmp = ready();
    const bin = probeBinaryVersion(versionOutput);
    const probe = await probeQemu(qmp);
    assert.deepEqual(probe.version, bin.version);
    assert.equal(probe.package, bin.package);
    assert.deepEqual(
      [probe.version.major, probe.version.minor],
      [7, 2],
      `expected Debian bookworm's QEMU 7.2, got ${versionOutput.split('\n')[0]}`,
    );
    assert.ok(probe.capabilities.includes('x-colo'));
    assert.ok(probe.commands.has('query-status'));
    assert.equal(probe.hasColo, true);
    assert.equal(probe.hasReplication, true);
    assert.equal(probe.hasColoProxy, true);
    const d = dialectFromProbe(probe);
    assert.equal(d.reconnectOption, 'reconnect');
    assert.equal(d.secondaryNeedsXColo, false);
    assert.equal(d.coloBroken, false);
  });

  test('pipelined batch with an error: each reply matched to its command', async () => {
    const qmp = ready();
    const settled = await qmp.executeAllSettled([
      { execute: 'query-status' },
      { execute: 'no-such-command' },
      { execute: 'query-colo-status' },
    ]);
    assert.equal(settled[0]?.ok && (settled[0].value as { status: string }).status, 'prelaunch');
    const err = settled[1] && !settled[1].ok ? settled[1].error : undefined;
    assert.ok(err instanceof QmpError);
    assert.equal(err.command, 'no-such-command');
    assert.equal(err.errorClass, 'CommandNotFound');
    assert.match(err.desc, /no-such-command/);
    assert.equal(settled[2]?.ok && (settled[2].value as { mode: string }).mode, 'none');
  });

  test('cont, then waitForEvent(RESUME) resolves and the VM runs', async () => {
    const qmp = ready();
    const mark = qmp.eventSeq;
    assert.deepEqual(await qmp.execute('cont'), {});
    const ev = await qmp.waitForEvent('RESUME', undefined, { since: mark, timeoutMs: 5000 });
    assert.equal(ev.event, 'RESUME');
    assert.ok(ev.seq > mark);
    assert.ok(ev.timestamp && ev.timestamp.seconds > 0);
    const status = await qmp.execute<{ status: string }>('query-status');
    assert.equal(status.status, 'running');
  });

  test('quit: SHUTDOWN arrives, quit resolves, the close is expected and QEMU exits', async () => {
    const qmp = ready();
    assert.ok(child);
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    const mark = qmp.eventSeq;
    await qmp.execute('quit');
    const ev = await qmp.waitForEvent('SHUTDOWN', undefined, { since: mark, timeoutMs: 5000 });
    assert.deepEqual(ev.data, { guest: false, reason: 'host-qmp-quit' });
    assert.equal(await exited, 0);
    await qmp.close();
    assert.equal(qmp.closed, true);
    assert.equal(closes.length, 1);
    assert.equal(closes[0]?.expected, true, `close after quit is expected: ${closes[0]?.error.message ?? ''}`);
    await assert.rejects(qmp.execute('query-status'), /QMP connection closed/);
  });
});
