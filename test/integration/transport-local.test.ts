/** LocalTransport: the same Transport contract on this machine, no SSH. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient } from '../../src/qmp/client.ts';
import { createTransports } from '../../src/transport/factory.ts';
import { LocalTransport } from '../../src/transport/local-transport.ts';
import { parsePidFile } from '../../src/transport/pid-file.ts';
import { pidRunning } from '../../src/transport/pid.ts';
import { CommandError, TransportError } from '../../src/transport/types.ts';
import type { HostSpec } from '../../src/spec/types.ts';
import { requireBinary } from '../helpers/hosts.ts';
import { runningPid } from './running-pid.ts';

const QEMU = '/usr/bin/qemu-system-x86_64';
const NASTY = ['with space', "it's", '"dq"', '; rm -rf /', '$(id)', '`id`', 'new\nline', '', 'ünï ✓', '*', '~', '-n'];

let dir: string;
const t = new LocalTransport('here');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'colo-local-'));
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('run', () => {
  test('argv is passed without a shell, byte for byte', async () => {
    const r = await t.run(['printf', '%s\\0', ...NASTY]);
    assert.equal(r.code, 0);
    const parts = r.stdout.split('\0');
    parts.pop();
    assert.deepEqual(parts, NASTY);
  });
  test('env, stdin, exit codes, signals, missing program', async () => {
    assert.equal(await t.check(['sh', '-c', 'printf %s "$COLO_X"'], { env: { COLO_X: 'a b' } }), 'a b');
    assert.equal(await t.check(['cat'], { stdin: 'from stdin' }), 'from stdin');
    assert.equal((await t.run(['sh', '-c', 'exit 9'])).code, 9);
    const k = await t.run(['sh', '-c', 'kill -TERM $$']);
    assert.equal(k.code, null);
    assert.equal(k.signal, 'SIGTERM');
    const missing = await t.run(['/nonexistent/prog']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /not found/);
    await assert.rejects(
      t.check(['sh', '-c', 'echo bad >&2; exit 4']),
      (e: unknown) => e instanceof CommandError && /here: sh exited 4: bad/.test(e.message),
    );
  });
  test('timeout kills the program', async () => {
    const t0 = Date.now();
    await assert.rejects(t.run(['sleep', '30'], { timeoutMs: 300 }), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.match(e.message, /^here: timed out after 300 ms running sleep 30$/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe('files', () => {
  test('atomic write with mode; binary round trip; no temp files left', async () => {
    const p = join(dir, 'f.bin');
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(100_000)]);
    await t.writeFile(p, data, { mode: 0o640 });
    assert.ok((await t.readFile(p)).equals(data));
    assert.equal((await stat(p)).mode & 0o777, 0o640);
    await t.writeFile(p, 'again');
    assert.equal(await readFile(p, 'utf8'), 'again');
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['f.bin']);
  });
  test('errors carry errno codes', async () => {
    await assert.rejects(
      t.readFile(join(dir, 'missing')),
      (e: unknown) => e instanceof TransportError && e.causeCode === 'ENOENT',
    );
    await assert.rejects(
      t.writeFile(join(dir, 'no', 'f'), 'x'),
      (e: unknown) => e instanceof TransportError && e.causeCode === 'ENOENT',
    );
  });
});

describe('sockets and processes', () => {
  let server: Server;
  const sock = (): string => join(dir, 'echo.sock');
  before(async () => {
    server = createServer((c) => c.pipe(c));
    await new Promise<void>((r) => server.listen(sock(), r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('unix socket echo; missing socket is a TransportError', async () => {
    const s = await t.openUnixSocket(sock());
    const got = new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
    s.write('ping');
    assert.equal(await got, 'ping');
    s.end();
    await assert.rejects(
      t.openUnixSocket(join(dir, 'none.sock')),
      (e: unknown) => e instanceof TransportError && e.causeCode === 'ENOENT',
    );
  });
  test('a detached program: its pid file, running until killed (TS, shell); missing, garbage pid files', async () => {
    const pidFile = join(dir, 'sleep.pid');
    await t.check(['sh', '-c', 'sleep 60 </dev/null >/dev/null 2>&1 & echo $! > "$1"', 'sh', pidFile]);
    const pid = parsePidFile(await readFile(pidFile, 'utf8'));
    assert.ok(pid !== null && pid > 1);
    assert.equal(await runningPid(t, pidFile), pid);
    assert.equal(pidRunning(pid), true);
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await runningPid(t, pidFile), null);
    assert.equal(pidRunning(pid), false);
    assert.equal(await runningPid(t, join(dir, 'nope.pid')), null);
    await writeFile(join(dir, 'bad.pid'), 'xyz');
    assert.equal(await runningPid(t, join(dir, 'bad.pid')), null);
    assert.equal(pidRunning(process.pid), true);
  });
  test('real QEMU through the local transport: QMP query-status', async () => {
    requireBinary(QEMU, 'qemu-system-x86');
    const qmpSock = join(dir, 'q.qmp');
    const pidFile = join(dir, 'q.pid');
    await t.check([
      QEMU,
      '-machine',
      'none',
      '-nodefaults',
      '-display',
      'none',
      '-S',
      '-qmp',
      `unix:${qmpSock},server=on,wait=off`,
      '-daemonize',
      '-pidfile',
      pidFile,
    ]);
    const pid = parsePidFile(await readFile(pidFile, 'utf8'));
    assert.ok(pid !== null);
    try {
      const qmp = await QmpClient.connect(await t.openUnixSocket(qmpSock));
      assert.equal(((await qmp.execute('query-status')) as { status: string }).status, 'prelaunch');
      await qmp.execute('quit').catch(() => undefined);
      await qmp.close();
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
});

describe('createTransports', () => {
  test('local hosts get a LocalTransport, ssh hosts a pooled SshTransport (lazily: no connection yet)', async () => {
    const base = {
      replicationAddress: '127.0.0.11',
      qemu: { binary: QEMU, img: '/usr/bin/qemu-img', firmware: [], sandbox: true },
      workDir: dir,
    };
    const hosts: Record<string, HostSpec> = {
      me: { name: 'me', local: true, ...base },
      far: {
        name: 'far',
        local: false,
        ssh: { address: '127.0.0.12', port: 2222, user: 'root', agent: true },
        ...base,
      },
    };
    const ts = createTransports(hosts);
    try {
      assert.ok(ts.get('me') instanceof LocalTransport);
      assert.equal(ts.get('me'), ts.get('me'));
      assert.equal(ts.get('far'), ts.get('far'));
      assert.equal(ts.get('far').host, 'far');
      assert.equal(await ts.get('me').check(['echo', 'x']), 'x\n');
      assert.throws(() => ts.get('nobody'), /unknown host nobody/);
    } finally {
      await ts.close();
    }
  });
});
