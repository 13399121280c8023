/**
 * SshTransport against two real OpenSSH sshd instances (alpha 127.0.0.11, beta 127.0.0.12) and a real
 * QEMU reached through streamlocal forwarding.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopSshd } from '../../src/lab/sshd.ts';
import { QmpClient } from '../../src/qmp/client.ts';
import { parseKnownHosts } from '../../src/transport/known-hosts.ts';
import { fingerprint, parsePublicKey } from '../../src/transport/ssh-keys.ts';
import { closeAllTransports, SshPool } from '../../src/transport/ssh-pool.ts';
import { parsePidFile } from '../../src/transport/pid-file.ts';
import { SshTransport, type SshOptions, type SshTarget } from '../../src/transport/ssh-transport.ts';
import { CommandError, HostKeyError, TransportError } from '../../src/transport/types.ts';
import { requireBinary, startTestHosts, type TestHosts } from '../helpers/hosts.ts';
import { runningPid } from './running-pid.ts';

const execFileP = promisify(execFile);
const QEMU = '/usr/bin/qemu-system-x86_64';

const NASTY = [
  'with space',
  "single ' quote",
  'double " quote',
  'semi; colon; rm -rf /',
  '$(touch /tmp/colo-pwned)',
  '`touch /tmp/colo-pwned`',
  'new\nline\n',
  '',
  '  leading and trailing  ',
  '$HOME ${PATH} $1 "$@"',
  '*',
  '~',
  'ünïcødé ✓',
  '\\back\\slash',
  '-n',
  '|&><(){}#!',
];

let H: TestHosts;
let dir: string;
const opened: SshTransport[] = [];

function transport(target: SshTarget, opts: SshOptions = {}): SshTransport {
  const t = new SshTransport(target, { knownHostsFile: H.lab.knownHosts, ...opts });
  opened.push(t);
  return t;
}

before(async () => {
  requireBinary(QEMU, 'qemu-system-x86');
  H = await startTestHosts();
  dir = join(H.dir, 'work');
  await mkdir(dir, { recursive: true });
});

after(async () => {
  await Promise.allSettled(opened.map((t) => t.close()));
  await closeAllTransports();
  await H?.stop();
});

describe('run: argv reaches the remote program byte for byte', () => {
  test('printf %s\\0 echoes every argument exactly', async () => {
    const t = transport(H.target('alpha'));
    const r = await t.run(['printf', '%s\\0', ...NASTY]);
    assert.equal(r.code, 0, r.stderr);
    const parts = r.stdout.split('\0');
    assert.equal(parts.pop(), '');
    assert.deepEqual(parts, NASTY);
    await assert.rejects(stat('/tmp/colo-pwned'), { code: 'ENOENT' });
  });
  test('node sees the same argv (JSON)', async () => {
    const t = transport(H.target('beta'));
    const out = await t.check([
      process.execPath,
      '-e',
      'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
      ...NASTY,
    ]);
    assert.deepEqual(JSON.parse(out), NASTY);
  });
  test('env values and stdin arrive intact', async () => {
    const t = transport(H.target('alpha'));
    const v = "it's $(x) `y`\n; z";
    assert.equal(await t.check(['sh', '-c', 'printf %s "$COLO_V"'], { env: { COLO_V: v } }), v);
    assert.equal(await t.check(['cat'], { stdin: v }), v);
  });
  test('exit codes, signals, and check() errors', async () => {
    const t = transport(H.target('alpha'));
    assert.equal((await t.run(['sh', '-c', 'exit 7'])).code, 7);
    const killed = await t.run(['sh', '-c', 'kill -TERM $$']);
    assert.equal(killed.code, null);
    assert.equal(killed.signal, 'SIGTERM');
    assert.equal((await t.run(['/nonexistent/program'])).code, 127);
    await assert.rejects(t.check(['sh', '-c', 'echo boom >&2; exit 3']), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.result.code, 3);
      assert.match(e.message, /alpha: sh exited 3: boom/);
      return true;
    });
  });
  test(
    'a call that exceeds its timeout is abandoned, the remote program and its children are killed, the ' +
      'connection stays usable',
    async () => {
      const t = transport(H.target('alpha'));
      // unique sleep durations identify the processes (a `# comment` would not survive exec)
      const tag = String(100000 + Math.floor(Math.random() * 899999));
      const t0 = Date.now();
      await assert.rejects(
        t.run(['sh', '-c', 'sleep "301.$1" & sleep "300.$1"; wait', 'sh', tag], { timeoutMs: 400 }),
        (e: unknown) => {
          assert.ok(e instanceof TransportError);
          assert.equal(e.causeCode, 'ETIMEDOUT');
          assert.match(e.message, /^alpha: timed out after 400 ms running sh -c/);
          return true;
        },
      );
      // abandoned at its timeout, long before the remote program would have ended (300 s)
      assert.ok(Date.now() - t0 < 300_000);
      const pattern = `sleep 30[01]\\.${tag}`;
      const before = Date.now();
      while (t.sessionsInUse > 0 && Date.now() - before < 5000) await new Promise((r) => setTimeout(r, 50));
      assert.equal(t.sessionsInUse, 0, 'the channel closed and its slot was released');
      const ps = await t.run(['pgrep', '-f', pattern]);
      assert.equal(ps.stdout, '', `still running: ${ps.stdout}`);
      assert.equal(await t.check(['echo', 'ok']), 'ok\n');
      assert.equal(t.connectionCount, 1);
    },
  );
  test('the timeout kill really matters: without it the program would still run (control)', async () => {
    const t = transport(H.target('alpha'));
    const tag = String(100000 + Math.floor(Math.random() * 899999));
    const p = t.run(['sh', '-c', 'exec sleep "302.$1"', 'sh', tag], { timeoutMs: 10000 });
    // wait until the program runs (no fixed sleep)
    let ps = await t.run(['pgrep', '-f', `sleep 302\\.${tag}`]);
    for (let i = 0; i < 100 && ps.stdout === ''; i++) ps = await t.run(['pgrep', '-f', `sleep 302\\.${tag}`]);
    assert.match(ps.stdout, /^\d+\n$/);
    process.kill(Number(ps.stdout.trim()), 'SIGKILL');
    assert.equal((await p).signal, 'SIGKILL');
  });
  test('more concurrent commands than channels: capped at 8 sessions, all succeed', async () => {
    const t = transport(H.target('beta'));
    let maxInUse = 0;
    const sampler = setInterval(() => (maxInUse = Math.max(maxInUse, t.sessionsInUse)), 5);
    try {
      const outs = await Promise.all(
        Array.from({ length: 24 }, (_, i) => t.check(['sh', '-c', 'sleep 0.3; echo "$1"', 'x', String(i)])),
      );
      assert.deepEqual(
        outs,
        Array.from({ length: 24 }, (_, i) => `${i}\n`),
      );
    } finally {
      clearInterval(sampler);
    }
    assert.equal(maxInUse, 8);
    assert.equal(t.connectionCount, 1);
  });
});

describe('files', () => {
  test('text file round-trips with its mode, atomically (no temp file left)', async () => {
    const t = transport(H.target('alpha'));
    const d = join(dir, 'files-text');
    await mkdir(d, { recursive: true });
    const p = join(d, "name with space 'q'.conf");
    const text = NASTY.join('\n');
    await t.writeFile(p, text, { mode: 0o640 });
    assert.equal((await t.readFile(p)).toString('utf8'), text);
    assert.equal((await stat(p)).mode & 0o777, 0o640);
    await t.writeFile(p, 'second');
    assert.equal(await readFile(p, 'utf8'), 'second');
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    assert.deepEqual((await t.check(['ls', '-A', d])).split('\n').filter(Boolean), ["name with space 'q'.conf"]);
  });
  test('binary file round-trips (all byte values, 2 MiB random)', async () => {
    const t = transport(H.target('beta'));
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const big = Buffer.concat([all, randomBytes(2 * 1024 * 1024), all]);
    const p = join(dir, 'blob.bin');
    await t.writeFile(p, big);
    const back = await t.readFile(p);
    assert.equal(back.length, big.length);
    assert.ok(back.equals(big));
    assert.ok((await readFile(p)).equals(big));
  });
  test('errors carry errno-like codes', async () => {
    const t = transport(H.target('alpha'));
    await assert.rejects(t.readFile(join(dir, 'missing')), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.equal(e.causeCode, 'ENOENT');
      assert.match(e.message, /alpha: cannot read .*missing/);
      return true;
    });
    await assert.rejects(t.writeFile(join(dir, 'no-such-dir', 'f'), 'x'), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.match(e.message, /cannot write/);
      return true;
    });
  });
});

describe('processes', () => {
  test('a detached program: its pid file, running until killed; stale and garbage pid files', async () => {
    const t = transport(H.target('beta'));
    const pidFile = join(dir, 'sleep.pid');
    await t.check(['sh', '-c', 'sleep 60 </dev/null >/dev/null 2>&1 & echo $! > "$1"', 'sh', pidFile]);
    const pid = parsePidFile((await t.readFile(pidFile)).toString('utf8'));
    assert.ok(pid !== null && pid > 1);
    assert.equal(await runningPid(t, pidFile), pid);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await runningPid(t, pidFile)) !== null; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(await runningPid(t, pidFile), null);
    assert.equal(await runningPid(t, join(dir, 'no.pid')), null);
    await writeFile(join(dir, 'garbage.pid'), 'not a pid\n');
    assert.equal(await runningPid(t, join(dir, 'garbage.pid')), null);
    await assert.rejects(t.check(['sh', '-c', 'echo nope >&2; exit 2']), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.match(e.message, /nope/);
      return true;
    });
  });
});

describe('unix sockets through streamlocal forwarding', () => {
  let server: Server;
  let sockPath: string;
  before(async () => {
    sockPath = join(dir, 'echo.sock');
    server = createServer((c) => c.pipe(c));
    await new Promise<void>((r) => server.listen(sockPath, r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('bytes go both ways', async () => {
    const t = transport(H.target('alpha'));
    const s = await t.openUnixSocket(sockPath);
    const payload = randomBytes(100_000);
    const got: Buffer[] = [];
    let n = 0;
    const done = new Promise<void>((resolve) =>
      s.on('data', (d: Buffer) => {
        got.push(d);
        n += d.length;
        if (n >= payload.length) resolve();
      }),
    );
    s.write(payload);
    await done;
    assert.ok(Buffer.concat(got).equals(payload));
    s.end();
  });
  test('a missing socket is a clear TransportError', async () => {
    const t = transport(H.target('alpha'));
    await assert.rejects(t.openUnixSocket(join(dir, 'nope.sock')), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.match(e.message, /alpha: cannot open unix socket .*nope\.sock/);
      return true;
    });
  });

  test('real QEMU: started detached on beta, QMP query-status and an event over the forwarded socket', async () => {
    const t = transport(H.target('beta'));
    const qmpSock = join(dir, 'qemu.qmp');
    const pidFile = join(dir, 'qemu.pid');
    const argv = [
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
    ];
    await t.check(argv, { timeoutMs: 20000 });
    const pid = parsePidFile((await t.readFile(pidFile)).toString('utf8'));
    assert.ok(pid !== null);
    try {
      assert.equal(await runningPid(t, pidFile), pid);
      const stream = await t.openUnixSocket(qmpSock);
      const qmp = await QmpClient.connect(stream, { label: 'beta qemu' });
      assert.equal(qmp.version.major >= 7, true);
      assert.deepEqual(await qmp.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });
      const since = qmp.eventSeq;
      await qmp.execute('cont');
      const ev = await qmp.waitForEvent('RESUME', undefined, { since, timeoutMs: 5000 });
      assert.equal(ev.event, 'RESUME');
      assert.equal(((await qmp.execute('query-status')) as { running: boolean }).running, true);
      await qmp.execute('quit').catch(() => undefined);
      await qmp.close();
      for (let i = 0; i < 50 && (await runningPid(t, pidFile)) !== null; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(await runningPid(t, pidFile), null);
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
  test('QEMU that fails to start: CommandError with its stderr', async () => {
    const t = transport(H.target('beta'));
    await assert.rejects(
      t.check([QEMU, '-machine', 'no-such-machine', '-daemonize', '-pidfile', join(dir, 'x.pid')]),
      (e: unknown) => {
        assert.ok(e instanceof CommandError);
        assert.match(e.message, /beta: \/usr\/bin\/qemu-system-x86_64 exited 1: .*unsupported machine type/);
        return true;
      },
    );
  });
});

describe('host keys through a real sshd', () => {
  const hostFp = (): string => fingerprint(parsePublicKey(H.host('beta').hostKeyPublic).key);

  test('unknown host refused: fingerprint and the accept flag in the message', async () => {
    const kh = join(H.dir, 'kh-empty');
    await writeFile(kh, '');
    const t = transport(H.target('beta'), { knownHostsFile: kh });
    await assert.rejects(t.run(['true']), (e: unknown) => {
      assert.ok(e instanceof HostKeyError);
      assert.ok(e.message.includes(hostFp()), e.message);
      assert.match(e.message, /--accept-new-host-keys/);
      assert.equal(e.fingerprint, hostFp());
      return true;
    });
    assert.equal(await readFile(kh, 'utf8'), '');
  });
  test('changed key refused (file:line, both fingerprints), even with accept-new', async () => {
    const kh = join(H.dir, 'kh-changed');
    const h = H.host('beta');
    const { stdout } = await execFileP('sh', [
      '-c',
      `ssh-keygen -q -t ed25519 -N '' -f ${join(H.dir, 'other-key')} && cat ${join(H.dir, 'other-key.pub')}`,
    ]);
    const other = stdout.trim().split(' ').slice(0, 2).join(' ');
    await writeFile(kh, `# header\n[${h.address}]:${h.port} ${other}\n`);
    for (const acceptNewHostKeys of [false, true]) {
      const t = transport(H.target('beta'), { knownHostsFile: kh, acceptNewHostKeys });
      await assert.rejects(t.run(['true']), (e: unknown) => {
        assert.ok(e instanceof HostKeyError);
        assert.match(e.message, /HOST KEY CHANGED/);
        assert.ok(e.message.includes(`${kh}:2`));
        assert.ok(e.message.includes(hostFp()));
        assert.ok(e.message.includes(fingerprint(parsePublicKey(other).key)));
        return true;
      });
    }
  });
  test('pinned key accepted with an empty known_hosts; wrong pin refused', async () => {
    const good = transport(H.target('beta', { hostKey: H.host('beta').hostKeyPublic }), {
      knownHostsFile: join(H.dir, 'kh-none'),
    });
    assert.equal(await good.check(['echo', 'pinned']), 'pinned\n');
    const bad = transport(H.target('beta', { hostKey: H.host('alpha').hostKeyPublic }), {
      knownHostsFile: H.lab.knownHosts,
    });
    await assert.rejects(bad.run(['true']), /does not match the key pinned/);
  });
  test('--accept-new-host-keys: accepted and recorded; the next run finds it', async () => {
    const kh = join(H.dir, 'accept', '.ssh', 'known_hosts');
    const seen: string[] = [];
    const t = transport(H.target('beta'), {
      knownHostsFile: kh,
      acceptNewHostKeys: true,
      onHostKey: (host, v) => seen.push(`${host}:${v.accepted}`),
    });
    assert.equal(await t.check(['echo', 'hi']), 'hi\n');
    assert.deepEqual(seen, ['beta:new']);
    const parsed = parseKnownHosts(await readFile(kh, 'utf8'));
    assert.equal(parsed.entries.length, 1);
    assert.equal(parsed.entries[0]?.hosts.kind, 'hashed');
    assert.equal((await stat(kh)).mode & 0o777, 0o600);
    const again = transport(H.target('beta'), {
      knownHostsFile: kh,
      onHostKey: (host, v) => seen.push(`${host}:${v.accepted}`),
    });
    assert.equal(await again.check(['echo', 'again']), 'again\n');
    assert.deepEqual(seen, ['beta:new', 'beta:known']);
  });
  test('known_hosts that cannot be read fails closed', async () => {
    const t = transport(H.target('beta'), { knownHostsFile: H.dir /* a directory */, acceptNewHostKeys: true });
    await assert.rejects(t.run(['true']), (e: unknown) => {
      assert.ok(e instanceof HostKeyError);
      assert.match(e.message, /cannot read known hosts file/);
      return true;
    });
  });
});

describe('connection errors', () => {
  test('connection refused', async () => {
    const port = await freePort('127.0.0.12');
    const t = transport({ name: 'beta', address: '127.0.0.12', port, user: 'root', identityFile: H.lab.clientKey });
    await assert.rejects(t.run(['true']), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.equal(
        e.message,
        `cannot connect to host beta (127.0.0.12:${port}): connection refused — is sshd running?`,
      );
      assert.equal(e.causeCode, 'ECONNREFUSED');
      return true;
    });
  });
  test('handshake timeout (a server that never speaks)', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.12', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const t = transport(
        { name: 'beta', address: '127.0.0.12', port, user: 'root', identityFile: H.lab.clientKey },
        { readyTimeoutMs: 500 },
      );
      await assert.rejects(t.run(['true']), (e: unknown) => {
        assert.ok(e instanceof TransportError);
        assert.match(
          e.message,
          /^cannot connect to host beta \(127\.0\.0\.12:\d+\): timed out after 500 ms waiting for the SSH handshake$/,
        );
        return true;
      });
    } finally {
      silent.close();
    }
  });
  test('authentication failure names user, host and identity file', async () => {
    const key = join(H.dir, 'unauthorized');
    await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const t = transport(H.target('beta', { identityFile: key }));
    await assert.rejects(t.run(['true']), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.match(
        e.message,
        new RegExp(
          `^authentication failed for ${H.lab.user}@beta \\(127\\.0\\.0\\.12:\\d+\\): tried identity file ${key}$`,
        ),
      );
      return true;
    });
  });
  test('passphrase-protected identity file without passphrase', async () => {
    const key = join(H.dir, 'protected');
    await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', key]);
    const t = transport(H.target('beta', { identityFile: key }));
    await assert.rejects(t.run(['true']), /is protected by a passphrase; add it to the ssh-agent/);
    await assert.rejects(
      transport(H.target('beta', { identityFile: join(H.dir, 'no-key') })).run(['true']),
      /cannot read identity file .*ENOENT/,
    );
  });
  test('ssh-agent: clear error without SSH_AUTH_SOCK; works with a real agent', async () => {
    const saved = process.env.SSH_AUTH_SOCK;
    const target = H.target('alpha');
    delete target.identityFile;
    try {
      delete process.env.SSH_AUTH_SOCK;
      await assert.rejects(transport(target).run(['true']), /SSH_AUTH_SOCK is not set/);
      const sock = join(H.dir, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 50; i++) {
          if (
            await stat(sock).then(
              () => true,
              () => false,
            )
          )
            break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await execFileP('ssh-add', [H.lab.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
        process.env.SSH_AUTH_SOCK = sock;
        const t = transport(target);
        assert.equal(await t.check(['echo', 'agent']), 'agent\n');
        await t.close();
      } finally {
        agent.kill();
      }
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
    }
  });
});

describe('one connection per host', () => {
  let server: Server;
  let sockPath: string;
  before(async () => {
    sockPath = join(dir, 'count.sock');
    server = createServer((c) => c.end('hello'));
    await new Promise<void>((r) => server.listen(sockPath, r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test(
    '20 mixed operations, some concurrent, including concurrent first calls: exactly one TCP ' + 'connection',
    async () => {
      const pool = new SshPool({ knownHostsFile: H.lab.knownHosts });
      try {
        const before = H.accepts('beta');
        const t = pool.get(H.target('beta'));
        assert.equal(pool.get(H.target('beta')), t);
        const pidFile = join(dir, 'count.pid');
        await writeFile(pidFile, `${process.pid}\n`);
        const readSock = async (): Promise<string> => {
          const s = await t.openUnixSocket(sockPath);
          const chunks: Buffer[] = [];
          for await (const c of s) chunks.push(c as Buffer);
          return Buffer.concat(chunks).toString();
        };
        // 10 concurrent first calls share one connect
        const first = await Promise.all([
          t.check(['echo', '1']),
          t.check(['echo', '2']),
          t.readFile(pidFile).then(String),
          runningPid(t, pidFile).then(String),
          readSock(),
          t.check(['echo', '6']),
          t.writeFile(join(dir, 'count.txt'), 'x').then(() => 'w'),
          readSock(),
          runningPid(t, join(dir, 'none.pid')).then(String),
          t.check(['echo', '10']),
        ]);
        assert.deepEqual(first, [
          '1\n',
          '2\n',
          `${process.pid}\n`,
          String(process.pid),
          'hello',
          '6\n',
          'w',
          'hello',
          'null',
          '10\n',
        ]);
        // 10 more, sequential and mixed
        assert.equal(await t.check(['echo', '11']), '11\n');
        assert.equal((await t.readFile(join(dir, 'count.txt'))).toString(), 'x');
        assert.equal(await runningPid(t, pidFile), process.pid);
        assert.equal(await readSock(), 'hello');
        assert.equal((await t.run(['false'])).code, 1);
        assert.equal(await readSock(), 'hello');
        assert.deepEqual(await Promise.all([t.check(['echo', 'a']), t.check(['echo', 'b']), readSock()]), [
          'a\n',
          'b\n',
          'hello',
        ]);
        assert.equal(await t.check(['echo', '20']), '20\n');
        assert.equal(t.connectionCount, 1);
        assert.equal(H.accepts('beta') - before, 1);
      } finally {
        await pool.close();
      }
    },
  );

  test('a connection killed mid-run: the call in flight fails clearly, the next call reconnects', async () => {
    const pool = new SshPool({ knownHostsFile: H.lab.knownHosts });
    try {
      const t = pool.get(H.target('alpha'));
      const before = H.accepts('alpha');
      assert.equal(await t.check(['echo', 'one']), 'one\n');
      // Kill this connection's sshd process on the server side, while a command runs.
      const tag = String(100000 + Math.floor(Math.random() * 899999));
      const inFlight = t.run(['sleep', `10.${tag}`]);
      // until the command in flight runs (no fixed sleep)
      for (let i = 0; i < 100 && (await t.run(['pgrep', '-f', `sleep 10\\.${tag}`])).stdout === ''; i++);
      // $PPID of a command is this connection's sshd session process: killing it drops the connection.
      const mine = Number((await t.check(['sh', '-c', 'echo $PPID'])).trim());
      const listener = Number((await readFile(H.host('alpha').pidFile, 'utf8')).trim());
      assert.notEqual(mine, listener);
      process.kill(mine, 'SIGKILL');
      await assert.rejects(inFlight, (e: unknown) => {
        assert.ok(e instanceof TransportError);
        assert.match(e.message, /connection was lost while running sleep 10\./);
        return true;
      });
      assert.equal(await t.check(['echo', 'two']), 'two\n');
      await t.run(['pkill', '-f', `sleep 10\\.${tag}`]); // the orphan of the killed connection
      assert.equal(t.connectionCount, 2);
      assert.equal(H.accepts('alpha') - before, 2);
    } finally {
      await pool.close();
    }
  });

  test('pool.close() closes the connection; later calls are refused', async () => {
    const pool = new SshPool({ knownHostsFile: H.lab.knownHosts });
    const t = pool.get(H.target('alpha'));
    await t.check(['true']);
    await pool.close();
    await assert.rejects(t.run(['true']), /transport already closed/);
    await pool.close(); // idempotent
  });

  test('SIGINT in a CLI process closes its SSH connections (installTransportCleanup)', async () => {
    const script = join(H.dir, 'sigint.mts');
    const target = H.target('alpha');
    await writeFile(
      script,
      [
        `import { SshPool, installTransportCleanup } from ` +
          `${JSON.stringify(new URL('../../src/transport/ssh-pool.ts', import.meta.url).pathname)};`,
        `installTransportCleanup();`,
        `const pool = new SshPool({ knownHostsFile: ${JSON.stringify(H.lab.knownHosts)} });`,
        `const t = pool.get(${JSON.stringify(target)});`,
        `await t.check(['true']);`,
        `process.stdout.write('ready\\n');`,
        `setInterval(() => {}, 1000);`,
      ].join('\n'),
    );
    const log = (): Promise<string> => readFile(H.host('alpha').logFile, 'utf8');
    const disconnectsBefore = ((await log()).match(/Received disconnect from/g) ?? []).length;
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: new URL('../..', import.meta.url).pathname,
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (c) => reject(new Error(`child exited ${c} early`)));
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 130);
    // The client said goodbye (SSH_MSG_DISCONNECT) instead of just dropping the socket (sshd logs it
    // when it sees it: wait for the line, then count).
    const disconnects = async () => ((await log()).match(/Received disconnect from/g) ?? []).length;
    for (let i = 0; i < 100 && (await disconnects()) === disconnectsBefore; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(await disconnects(), disconnectsBefore + 1);
  });
});

describe('lab sshd', () => {
  test('stopSshd stops a listener by pid file and is idempotent', async () => {
    const extra = await startTestHosts([{ name: 'gamma', address: '127.0.0.13' }]);
    try {
      const h = extra.host('gamma');
      const pid = Number((await readFile(h.pidFile, 'utf8')).trim());
      assert.ok(pid > 1);
      await stopSshd(h.pidFile);
      // gone, or a zombie nobody reaps (PID 1 in some containers does not)
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => 'State:\tX (gone)');
      assert.match(status, /^State:\s*[ZX]/m);
      await stopSshd(h.pidFile);
    } finally {
      await extra.stop();
      await rm(extra.dir, { recursive: true, force: true });
    }
  });
});
