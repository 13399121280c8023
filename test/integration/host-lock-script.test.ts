/**
 * The host lock's script and HostLocks on this machine (LocalTransport, real sh and flock; the same
 * script runs over SSH in test/e2e/host-lock.test.ts): one holder at a time, the refusal names the
 * holder, release and the end of colo's stdin free it, a work directory with shell metacharacters
 * stays one value, a symlinked lock file is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostLocks, HostLockError } from '../../src/engine/host-lock.ts';
import { ageOf, parseHostLockRecord } from '../../src/engine/host-lock-holder.ts';
import { HOST_LOCK_HELD, hostLockArgv } from '../../src/render/scripts/host-lock.ts';
import type { Spec } from '../../src/spec/types.ts';
import type { LockInfo } from '../../src/state/types.ts';
import { LocalTransport } from '../../src/transport/local-transport.ts';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'colo-hostlock-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const holder = (operation: string, pid: number): LockInfo => ({
  id: `id-${operation}`,
  operation,
  who: 'op@ctl',
  pid,
  hostname: 'ctl',
  version: '0.1.0',
  created: new Date(Date.now() - 75_000).toISOString(),
  path: `/home/op/${operation}/state.json`,
});

const specWith = (workDir: string): Spec => ({ hosts: { alpha: { name: 'alpha', workDir } } }) as unknown as Spec;
const locksFor = (workDir: string, info: LockInfo) =>
  new HostLocks(specWith(workDir), info, () => new LocalTransport('alpha'));
const flockHeld = (file: string) => spawnSync('flock', ['-n', file, 'true']).status !== 0;

describe('host lock (local, real flock)', () => {
  test('one holder at a time; the second is refused with the holder and its age; release frees it', async () => {
    const wd = path.join(root, 'plain');
    const a = locksFor(wd, holder('apply', 111));
    const b = locksFor(wd, holder('failover', 222));
    assert.deepEqual(await a.lockAll(['alpha']), { unreachable: [] });
    assert.ok(flockHeld(path.join(wd, '.colo.lock')));
    assert.equal((await stat(wd)).mode & 0o777, 0o700, 'a missing work directory is created private');
    assert.equal((await stat(path.join(wd, '.colo.lock'))).mode & 0o777, 0o600);
    await assert.rejects(b.lockAll(['alpha']), (e: Error) => {
      assert.ok(e instanceof HostLockError, e.message);
      assert.match(e.message, /^Error acquiring the host lock of alpha \(.*\/plain\/\.colo\.lock\)/);
      assert.match(e.message, /Who: +op@ctl\n/);
      assert.match(e.message, /PID: +111 on ctl\n/);
      assert.match(e.message, /Operation: +apply\n/);
      assert.match(e.message, /State: +\/home\/op\/apply\/state\.json\n/);
      assert.match(e.message, /Created: +\S+ \(1m1[45]s ago\)\n/);
      assert.match(e.message, /Lock PID: +\d+ on alpha\n/);
      assert.match(e.message, /cannot be force-unlocked/);
      return true;
    });
    await a.releaseAll();
    assert.ok(!flockHeld(path.join(wd, '.colo.lock')));
    assert.equal(await readFile(path.join(wd, '.colo.lock'), 'utf8'), '', 'the record is cleared on release');
    await b.lockAll(['alpha']);
    await b.releaseAll();
    await assert.rejects(b.ensure('alpha'), /already released/);
  });

  test('a holder whose colo dies (stdin closed) releases the lock', async () => {
    const wd = path.join(root, 'dies');
    const child = spawn('sh', hostLockArgv(wd, JSON.stringify(holder('drill', 333))).slice(1), {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => String(d).includes(HOST_LOCK_HELD) && resolve()),
    );
    assert.ok(flockHeld(path.join(wd, '.colo.lock')));
    const record = parseHostLockRecord(await readFile(path.join(wd, '.colo.lock'), 'utf8'));
    assert.equal(record?.remotePid, child.pid);
    assert.equal(record?.holder.operation, 'drill');
    child.stdin.destroy(); // what the end of an SSH session does to the remote program
    await new Promise((r) => child.on('close', r));
    assert.ok(!flockHeld(path.join(wd, '.colo.lock')));
  });

  test('a work directory with shell metacharacters is one value; nothing it names runs', async () => {
    const marker = path.join(root, 'pwned');
    const wd = path.join(root, `we'ird $(touch ${marker}) \`touch ${marker}\`; touch ${marker}`);
    const a = locksFor(wd, holder('apply', 444));
    await a.lockAll(['alpha']);
    assert.ok(existsSync(path.join(wd, '.colo.lock')));
    assert.ok(!existsSync(marker), 'no command substitution ran');
    await a.releaseAll();
  });

  test('a symbolic link at the lock path is refused, not followed', async () => {
    const wd = path.join(root, 'linked');
    await mkdir(wd, { recursive: true, mode: 0o700 });
    await symlink(path.join(root, 'elsewhere'), path.join(wd, '.colo.lock'));
    const a = locksFor(wd, holder('apply', 555));
    await assert.rejects(a.lockAll(['alpha']), (e: Error) => {
      assert.ok(e instanceof HostLockError);
      assert.match(e.message, /cannot take the host lock of alpha .*is a symbolic link, which colo never creates/);
      return true;
    });
    assert.ok(!existsSync(path.join(root, 'elsewhere')));
  });

  test('a record another machine wrote is shown without its control characters', () => {
    const r = parseHostLockRecord(
      JSON.stringify({ remotePid: 9, holder: { ...holder('apply', 1), who: 'evil\u001b[2J@x\nfake: line' } }),
    );
    assert.equal(r?.holder.who, 'evil?[2J@x?fake: line');
    assert.equal(parseHostLockRecord('not json'), null);
    assert.equal(parseHostLockRecord(JSON.stringify({ remotePid: 'x', holder: {} })), null);
  });

  test('ages', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    assert.equal(ageOf('2026-12-01T11:59:48Z', now), '12s');
    assert.equal(ageOf('2026-12-01T11:55:55Z', now), '4m05s');
    assert.equal(ageOf('2026-12-01T09:57:00Z', now), '2h03m');
    assert.equal(ageOf('2026-11-28T08:00:00Z', now), '3d04h');
    assert.equal(ageOf('garbage', now), 'unknown age');
  });
});
