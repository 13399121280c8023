import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LockError,
  acquireLock,
  forceUnlock,
  formatLockInfo,
  isStale,
  lockPathFor,
  readLockInfo,
  withLock,
} from '../../../src/state/lock.ts';
import type { LockInfo } from '../../../src/state/types.ts';
import { COLO_VERSION } from '../../../src/version.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-lock-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
let n = 0;
const freshState = () => path.join(root, `case-${++n}`, '.colo', 'state.json');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function spawnTs(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Resolves with the first stdout line matching `re` (rejects if the child exits first). */
function waitForLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const onData = (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) before printing ${re}: ${buf}${err}`)),
    );
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** The pid of a process that has exited (pid reuse within the test is vanishingly unlikely). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await exited(child);
  return pid;
}

function lockInfo(overrides: Partial<LockInfo>, statePath: string): LockInfo {
  return {
    id: '11111111-2222-4333-8444-555555555555',
    operation: 'apply',
    who: 'someone@elsewhere',
    pid: 1,
    hostname: 'elsewhere.example',
    version: '0.0.9',
    created: '2026-01-01T00:00:00.000Z',
    path: statePath,
    ...overrides,
  };
}

async function plantLock(statePath: string, info: LockInfo): Promise<void> {
  await fs.mkdir(path.dirname(statePath), { recursive: true });
  await fs.writeFile(lockPathFor(statePath), JSON.stringify(info));
}

describe('acquire and release', () => {
  test('writes LockInfo JSON next to the state and removes it on release', async () => {
    const sp = freshState();
    const lock = await acquireLock(sp, 'apply');
    assert.equal(lock.file, `${sp}.lock`);
    const onDisk = JSON.parse(await fs.readFile(lock.file, 'utf8')) as LockInfo;
    assert.deepEqual(onDisk, { ...lock.info });
    assert.match(onDisk.id, UUID_RE);
    assert.equal(onDisk.operation, 'apply');
    assert.equal(onDisk.pid, process.pid);
    assert.equal(onDisk.hostname, os.hostname());
    assert.equal(onDisk.who, `${os.userInfo().username}@${os.hostname()}`);
    const pkg = JSON.parse(await fs.readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(onDisk.version, COLO_VERSION);
    assert.equal(onDisk.version, pkg.version);
    assert.equal(onDisk.path, path.resolve(sp));
    assert.ok(Math.abs(Date.parse(onDisk.created) - Date.now()) < 10_000);
    assert.equal((await fs.stat(lock.file)).mode & 0o777, 0o600);
    assert.deepEqual(await readLockInfo(sp), onDisk);

    assert.equal(await lock.release(), true);
    assert.equal(await exists(lock.file), false);
    assert.equal(await lock.release(), false, 'second release is a no-op');
    assert.equal(await readLockInfo(sp), null);
    const again = await acquireLock(sp, 'destroy');
    assert.notEqual(again.info.id, lock.info.id);
    assert.equal(again.releaseSync(), true);
    assert.equal(await exists(lock.file), false);
  });

  test('a second acquire is refused with the holder in a Lock Info block', async () => {
    const sp = freshState();
    const holder = await acquireLock(sp, 'failover', { version: '9.9.9' });
    try {
      await assert.rejects(acquireLock(sp, 'apply'), (err: unknown) => {
        assert.ok(err instanceof LockError);
        assert.deepEqual(err.holder, holder.info);
        const m = err.message;
        assert.match(m, /^Error acquiring the state lock: it is held by another colo command\./);
        assert.ok(m.includes('Lock Info:\n'), m);
        assert.ok(m.includes(`  ID:        ${holder.info.id}\n`), m);
        assert.ok(m.includes(`  Path:      ${path.resolve(sp)}\n`), m);
        assert.ok(m.includes('  Operation: failover\n'), m);
        assert.ok(m.includes(`  Who:       ${holder.info.who}\n`), m);
        assert.ok(m.includes('  Version:   9.9.9\n'), m);
        assert.ok(m.includes(`  Created:   ${holder.info.created}\n`), m);
        assert.ok(m.includes(`colo force-unlock ${holder.info.id}`), m);
        assert.doesNotMatch(m, /stale/, 'the holder (this process) is alive');
        return true;
      });
      // the refused attempt left the holder's lock alone
      assert.equal((await readLockInfo(sp))?.id, holder.info.id);
    } finally {
      await holder.release();
    }
  });

  test('with a timeout it waits, retrying, then refuses', async () => {
    const sp = freshState();
    const holder = await acquireLock(sp, 'apply');
    const waits: (LockInfo | undefined)[] = [];
    const t0 = Date.now();
    await assert.rejects(
      acquireLock(sp, 'apply', { timeoutMs: 600, initialDelayMs: 50, maxDelayMs: 200, onWait: (h) => waits.push(h) }),
      (err: unknown) => {
        assert.ok(err instanceof LockError);
        assert.match(err.message, /held by another colo command \(waited 0\.[6-9]s\)/);
        return true;
      },
    );
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 600 && elapsed < 2000, `waited ${elapsed} ms`);
    assert.equal(waits.length, 1, 'onWait is called once');
    assert.equal(waits[0]?.id, holder.info.id);
    await holder.release();
  });

  test('with a timeout it gets the lock once the holder releases it', async () => {
    const sp = freshState();
    const holder = await acquireLock(sp, 'apply');
    setTimeout(() => void holder.release(), 250);
    const t0 = Date.now();
    const lock = await acquireLock(sp, 'apply', { timeoutMs: 5000, initialDelayMs: 50, maxDelayMs: 100 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 200 && elapsed < 2000, `got it after ${elapsed} ms`);
    assert.equal((await readLockInfo(sp))?.id, lock.info.id);
    await lock.release();
  });

  test('a brief read-only holder (plan, status, verify) is waited for even without a timeout', async () => {
    for (const brief of ['plan', 'status', 'verify']) {
      const sp = freshState();
      const holder = await acquireLock(sp, brief);
      const waits: (LockInfo | undefined)[] = [];
      setTimeout(() => void holder.release(), 300);
      const t0 = Date.now();
      const lock = await acquireLock(sp, 'apply', { initialDelayMs: 20, maxDelayMs: 50, onWait: (h) => waits.push(h) });
      assert.ok(Date.now() - t0 >= 250, `${brief}: apply waited for it`);
      assert.equal(waits[0]?.operation, brief, 'the wait names the holder');
      await lock.release();
    }
  });

  test('a brief holder is waited for at most briefHolderWaitMs, a writer not at all', async () => {
    const sp = freshState();
    const reader = await acquireLock(sp, 'verify');
    const t0 = Date.now();
    await assert.rejects(
      acquireLock(sp, 'plan', { briefHolderWaitMs: 300, initialDelayMs: 20, maxDelayMs: 50 }),
      (e) => {
        assert.ok(e instanceof LockError);
        assert.match(e.message, /held by another colo command \(waited 0\.\d+s\)[\s\S]*Operation: verify/);
        return true;
      },
    );
    assert.ok(Date.now() - t0 >= 300, 'waited for the reader');
    await reader.release();
    const writer = await acquireLock(sp, 'apply');
    const t1 = Date.now();
    await assert.rejects(
      acquireLock(sp, 'status'),
      (e) => e instanceof LockError && /Operation: apply/.test(e.message),
    );
    assert.ok(Date.now() - t1 < 250, 'a writer is not waited for without a timeout');
    await writer.release();
  });

  test('release does not remove a lock that was force-unlocked and taken by someone else', async () => {
    const sp = freshState();
    const first = await acquireLock(sp, 'apply');
    await forceUnlock(sp, first.info.id);
    const second = await acquireLock(sp, 'apply');
    assert.equal(await first.release(), false);
    assert.equal(first.releaseSync(), false);
    assert.equal((await readLockInfo(sp))?.id, second.info.id);
    await second.release();
  });

  test('withLock releases the lock even when the work throws', async () => {
    const sp = freshState();
    await assert.rejects(
      withLock(sp, 'apply', async (lock) => {
        assert.equal(await exists(lock.file), true);
        throw new Error('step failed');
      }),
      /step failed/,
    );
    assert.equal(await exists(lockPathFor(sp)), false);
    assert.equal(await withLock(sp, 'apply', async () => 42), 42);
    assert.equal(await exists(lockPathFor(sp)), false);
  });
});

describe('force-unlock', () => {
  test('with the right id removes the lock and returns the holder', async () => {
    const sp = freshState();
    const holder = await acquireLock(sp, 'apply');
    const removed = await forceUnlock(sp, holder.info.id);
    assert.equal(removed.id, holder.info.id);
    assert.equal(await exists(lockPathFor(sp)), false);
  });

  test('with a wrong id is refused and the lock stays', async () => {
    const sp = freshState();
    const holder = await acquireLock(sp, 'apply');
    const wrong = '00000000-0000-4000-8000-000000000000';
    await assert.rejects(forceUnlock(sp, wrong), (err: unknown) => {
      assert.ok(err instanceof LockError);
      assert.ok(
        err.message.startsWith(`lock id ${wrong} does not match the current lock ${holder.info.id}`),
        err.message,
      );
      assert.equal(err.holder?.id, holder.info.id);
      return true;
    });
    assert.equal((await readLockInfo(sp))?.id, holder.info.id);
    await holder.release();
  });

  test('with no lock held is refused', async () => {
    const sp = freshState();
    await assert.rejects(forceUnlock(sp, 'whatever'), (err: unknown) => {
      assert.ok(err instanceof LockError);
      assert.match(err.message, /^no lock held on /);
      return true;
    });
  });
});

describe('stale and odd locks', () => {
  test('a holder on this host whose pid is dead gets the stale hint', async () => {
    const sp = freshState();
    const pid = await deadPid();
    const info = lockInfo({ hostname: os.hostname(), pid }, sp);
    await plantLock(sp, info);
    assert.equal(isStale(info), true);
    await assert.rejects(acquireLock(sp, 'apply'), (err: unknown) => {
      assert.ok(err instanceof LockError);
      assert.match(
        err.message,
        new RegExp(`The holder \\(pid ${pid} on this host, .*\\) is no longer running: the lock is stale\\.`),
      );
      assert.ok(err.message.endsWith(`colo force-unlock ${info.id}`), err.message);
      return true;
    });
    // the stale lock is not broken automatically, only by force-unlock
    assert.equal(await exists(lockPathFor(sp)), true);
    await forceUnlock(sp, info.id);
    const lock = await acquireLock(sp, 'apply');
    await lock.release();
  });

  test('a live holder, or one on another host, is not called stale', async () => {
    const sp = freshState();
    assert.equal(isStale(lockInfo({ hostname: os.hostname(), pid: process.pid }, sp)), false);
    const remote = lockInfo({ hostname: 'elsewhere.example', pid: await deadPid() }, sp);
    assert.equal(isStale(remote), false);
    await plantLock(sp, remote);
    await assert.rejects(acquireLock(sp, 'apply'), (err: unknown) => {
      assert.ok(err instanceof LockError);
      assert.doesNotMatch(err.message, /stale/);
      assert.match(err.message, /Who: {7}someone@elsewhere/);
      return true;
    });
  });

  test('an empty lock file (holder killed while creating it) is reported with how to remove it', async () => {
    const sp = freshState();
    await fs.mkdir(path.dirname(sp), { recursive: true });
    await fs.writeFile(lockPathFor(sp), '');
    await assert.rejects(acquireLock(sp, 'apply'), (err: unknown) => {
      assert.ok(err instanceof LockError);
      assert.match(err.message, /exists but it is empty/);
      assert.ok(err.message.includes(`rm ${lockPathFor(sp)}`), err.message);
      return true;
    });
    await assert.rejects(forceUnlock(sp, 'x'), /cannot be matched against id x: it is empty/);
  });

  test(
    'a dangling symlink at the lock path is refused at once, or after --lock-timeout, never spun on',
    {
      timeout: 20_000, // the old code spun here forever
    },
    async () => {
      const sp = freshState();
      await fs.mkdir(path.dirname(sp), { recursive: true, mode: 0o700 });
      await fs.symlink(path.join(root, 'nowhere', 'lock'), lockPathFor(sp));
      const refused = (err: unknown) => {
        assert.ok(err instanceof LockError);
        assert.match(err.message, /exists but it is a symbolic link \(to .*nowhere\/lock\), which colo never creates/);
        return true;
      };
      await assert.rejects(acquireLock(sp, 'apply'), refused);
      await assert.rejects(acquireLock(sp, 'apply', { timeoutMs: 300, initialDelayMs: 50 }), refused);
      await assert.rejects(fs.stat(path.join(root, 'nowhere')), /ENOENT/, 'nothing created through the link');
    },
  );

  test("formatLockInfo uses Terraform's aligned layout", () => {
    const text = formatLockInfo(lockInfo({}, '/s/state.json'));
    assert.equal(
      text,
      [
        'Lock Info:',
        '  ID:        11111111-2222-4333-8444-555555555555',
        '  Path:      /s/state.json',
        '  Operation: apply',
        '  Who:       someone@elsewhere',
        '  PID:       1 on elsewhere.example',
        '  Version:   0.0.9',
        '  Created:   2026-01-01T00:00:00.000Z',
      ].join('\n'),
    );
  });
});

describe('concurrent acquirers', () => {
  test('Promise.all in one process: exactly one wins', async () => {
    const sp = freshState();
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => acquireLock(sp, 'apply')));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 24);
    for (const r of lost) assert.ok(r.reason instanceof LockError, String(r.reason));
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value;
    assert.equal((await readLockInfo(sp))?.id, winner.info.id);
    await winner.release();
  });

  test('child processes and this process at once: exactly one wins', { timeout: 60_000 }, async () => {
    const sp = freshState();
    await fs.mkdir(path.dirname(sp), { recursive: true });
    const go = path.join(path.dirname(sp), 'go');
    const children = Array.from({ length: 4 }, () => spawnTs(fixture('lock-contender.ts'), [sp, go]));
    try {
      await Promise.all(children.map((c) => waitForLine(c, /^ready$/)));
      const outcomes = children.map((c) => waitForLine(c, /^(won|lost)/));
      await fs.writeFile(go, '');
      const mine = await acquireLock(sp, 'apply').then(
        (lock) => lock,
        (err: unknown) => {
          assert.ok(err instanceof LockError);
          return null;
        },
      );
      const lines = await Promise.all(outcomes);
      const winners = lines.filter((l) => l.startsWith('won')).length + (mine ? 1 : 0);
      assert.equal(winners, 1, `outcomes: ${lines.join(', ')}, this process: ${mine ? 'won' : 'lost'}`);
      const holderId = (await readLockInfo(sp))?.id;
      if (mine) {
        assert.equal(holderId, mine.info.id);
        await mine.release();
      } else {
        assert.equal(
          `won ${holderId}`,
          lines.find((l) => l.startsWith('won')),
        );
      }
    } finally {
      for (const c of children) c.stdin!.end();
      const codes = await Promise.all(children.map(exited));
      assert.deepEqual(
        codes.map((c) => c.code),
        [0, 0, 0, 0],
      );
    }
    assert.equal(await exists(lockPathFor(sp)), false, 'the winner released the lock');
  });
});

describe('withLock releases on exit and signals (releaseOnExit)', () => {
  test('process.exit without release removes the lock', { timeout: 30_000 }, async () => {
    const sp = freshState();
    const child = spawnTs(fixture('lock-holder.ts'), [sp, 'exit']);
    const line = await waitForLine(child, /^locked /);
    assert.match(line, /^locked [0-9a-f-]{36}$/);
    assert.deepEqual(await exited(child), { code: 3, signal: null });
    assert.equal(await exists(lockPathFor(sp)), false);
  });

  test('SIGTERM removes the lock and the process still dies of the signal', { timeout: 30_000 }, async () => {
    const sp = freshState();
    const child = spawnTs(fixture('lock-holder.ts'), [sp, 'wait']);
    const line = await waitForLine(child, /^locked /);
    assert.equal((await readLockInfo(sp))?.id, line.slice('locked '.length));
    assert.equal((await readLockInfo(sp))?.operation, 'failover');
    child.kill('SIGTERM');
    assert.deepEqual(await exited(child), { code: null, signal: 'SIGTERM' });
    assert.equal(await exists(lockPathFor(sp)), false);
  });
});

describe('taking the lock is atomic', () => {
  test('a reader never finds the lock file empty or partial (a colo killed while taking it leaves none)', async () => {
    const state = freshState();
    const file = lockPathFor(state);
    const partial: number[] = [];
    for (let i = 0; i < 600; i++) {
      let lock: Awaited<ReturnType<typeof acquireLock>> | undefined;
      const taking = acquireLock(state, 'apply').then((l) => (lock = l));
      while (!lock) {
        const text = await fs.readFile(file, 'utf8').catch(() => null);
        if (text !== null) {
          try {
            JSON.parse(text);
          } catch {
            partial.push(text.length);
          }
        }
      }
      await taking;
      assert.equal(await lock.release(), true);
    }
    assert.deepEqual(partial, [], 'lengths of the lock file contents a reader saw unparseable');
    assert.deepEqual(await fs.readdir(path.dirname(file)), [], 'a temp file was left in the state directory');
  });
});
