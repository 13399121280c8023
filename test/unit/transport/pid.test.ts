/**
 * Pid liveness, written once for TS (pidRunning) and once for remote scripts (PID_RUNNING_FN): both
 * must say the same of a running process, a zombie and a pid that does not exist.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PID_RUNNING_FN } from '../../../src/render/scripts/transport-scripts.ts';
import { pidRunning } from '../../../src/transport/pid.ts';

/** What the shell fragment says of `pid` (exit 0 = running). */
function shellSaysRunning(pid: number): boolean {
  try {
    execFileSync('sh', ['-c', `${PID_RUNNING_FN}\nrunning "$1"`, 'sh', String(pid)], { stdio: 'ignore' });
    return true;
  } catch (e) {
    assert.equal((e as { status?: number }).status, 1, 'the fragment fails with exit 1, nothing else');
    return false;
  }
}

describe('pid liveness', () => {
  test('a running process, a zombie and a missing pid: the TS check and the shell fragment agree', async () => {
    // `sleep 0` exits at once; its parent execs `sleep 30`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d) => resolve(Number(d))));
      const isZombie = () => /^State:\s*Z/m.test(readFileSync(`/proc/${zombie}/status`, 'utf8'));
      for (let i = 0; i < 50 && !isZombie(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(isZombie(), `pid ${zombie} should be a zombie by now`);
      const running = parent.pid!;
      assert.equal(pidRunning(running), true);
      assert.equal(shellSaysRunning(running), true);
      assert.equal(pidRunning(zombie), false);
      assert.equal(shellSaysRunning(zombie), false);
      assert.equal(pidRunning(process.pid), true);
      assert.equal(shellSaysRunning(process.pid), true);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((r) => parent.once('exit', r));
    assert.equal(pidRunning(parent.pid!), false);
    assert.equal(shellSaysRunning(parent.pid!), false);
    assert.equal(pidRunning(0), false);
    assert.equal(pidRunning(-1), false);
  });
});
