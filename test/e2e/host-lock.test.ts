/**
 * Two operators: two colo commands with different state files (two `--state` paths, as two control
 * machines would have) on one real lab pair (real sshd, real QEMU). The state lock cannot keep them
 * apart; the host lock (flock on <workDir>/.colo.lock held by each command's SSH session) does:
 * exactly one proceeds, the other is refused at once naming the holder (who, pid, operation, state
 * path, age), and once the first has ended the second succeeds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { colo, eventually, type CliResult, startLab, type TestLab } from '../helpers/lab.ts';

/** Whether someone holds flock on `file` right now (flock -n fails). */
function flockHeld(file: string): boolean {
  return spawnSync('flock', ['-n', file, 'true']).status !== 0;
}

/** The one winner and the one loser of two results; fails unless exactly one exited 0. */
function oneWinner(a: CliResult, b: CliResult): { winner: CliResult; loser: CliResult; winnerIsA: boolean } {
  const both = `--- A ---\n${a.stdout}${a.stderr}\n--- B ---\n${b.stdout}${b.stderr}`;
  const codes = `exit codes ${a.code} and ${b.code}\n${both}`;
  assert.ok((a.code === 0) !== (b.code === 0), `exactly one must succeed: ${codes}`);
  return a.code === 0 ? { winner: a, loser: b, winnerIsA: true } : { winner: b, loser: a, winnerIsA: false };
}

/** The refusal names the host lock, the winner's operation and state file, and an age. */
function assertRefusedByHolder(loser: CliResult, operation: string, winnerState: string): void {
  assert.equal(loser.code, 1, loser.stdout + loser.stderr);
  assert.match(loser.stderr, /Error acquiring the host lock of alpha \(.*\/hosts\/alpha\/\.colo\.lock\)/);
  assert.match(loser.stderr, new RegExp(`Operation: +${operation}\\n`));
  assert.ok(loser.stderr.includes(`State:     ${winnerState}\n`), loser.stderr);
  assert.match(loser.stderr, /Who: +\S+@\S+/);
  assert.match(loser.stderr, /Created: +\S+ \(\d+s ago\)/);
  assert.match(loser.stderr, /Lock PID: +\d+ on alpha/);
  assert.doesNotMatch(loser.stderr, /internal error/);
}

describe('host lock: two state files, one pair', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let stateA: string;
  let stateB: string;
  let lockFile: string;
  before(async () => {
    lab = await startLab();
    stateA = path.join(lab.dir, 'operator-a', 'state.json');
    stateB = path.join(lab.dir, 'operator-b', 'state.json');
    lockFile = path.join(lab.dir, 'hosts', 'alpha', '.colo.lock');
  });
  after(async () => {
    await lab?.down();
  });

  const apply = (state: string) => colo(['apply', '-f', lab.spec, '--state', state, '--auto-approve']);

  test('two concurrent applies: exactly one proceeds, the other names the holder; then it succeeds', async (t) => {
    const [a, b] = await Promise.all([apply(stateA), apply(stateB)]);
    const { winner, loser, winnerIsA } = oneWinner(a, b);
    t.diagnostic(`winner ${winnerIsA ? 'A' : 'B'} in ${Math.round(winner.ms)} ms, loser in ${Math.round(loser.ms)} ms`);
    assert.match(winner.stdout, /Apply complete!/);
    assertRefusedByHolder(loser, 'apply', winnerIsA ? stateA : stateB);
    assert.doesNotMatch(loser.stdout, /Creating|Destroying|Modifying/, 'the loser changed nothing');
    assert.ok(loser.ms < winner.ms, 'the loser was refused at once, not after the winner');
    assert.ok(!flockHeld(lockFile), 'the lock is released when the winner exits');
    // the loser again, now alone: it succeeds (its own state learns the pair)
    const again = await apply(winnerIsA ? stateB : stateA);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    // the winner's state is the one both operators continue with
    await copyFile(winnerIsA ? stateA : stateB, winnerIsA ? stateB : stateA);
    const plan = await colo(['plan', '-f', lab.spec, '--state', stateA, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('the lock is held for the whole command and released when colo is killed', async () => {
    const child = spawn(
      process.execPath,
      [path.join('bin', 'colo.js'), 'drill', 'web', '-f', lab.spec, '--state', stateA],
      {
        stdio: 'ignore',
        env: { ...process.env, CI: '1', NO_COLOR: '1' },
      },
    );
    try {
      await eventually('drill holds the host lock', async () => assert.ok(flockHeld(lockFile)), 60_000, 50);
      const refused = await apply(stateB);
      assertRefusedByHolder(refused, 'drill', stateA);
      child.kill('SIGKILL');
      await eventually('lock released after SIGKILL', async () => assert.ok(!flockHeld(lockFile)), 30_000, 100);
    } finally {
      child.kill('SIGKILL');
    }
    // SIGKILL left the state lock (a file) behind, unlike the host lock; then a lone apply repairs the
    // pair, wherever between its phases the drill was killed
    const { id } = JSON.parse(await readFile(`${stateA}.lock`, 'utf8')) as { id: string };
    const unlock = await colo(['force-unlock', id, '-f', lab.spec, '--state', stateA]);
    assert.equal(unlock.code, 0, unlock.stderr);
    const r = await apply(stateA);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await copyFile(stateA, stateB);
  });

  test('two concurrent failovers: exactly one promotes, the other names the holder; then it succeeds', async (t) => {
    const pid = await lab.pid('alpha');
    assert.ok(pid, 'the primary runs');
    process.kill(pid, 'SIGKILL');
    await eventually('primary gone', async () => assert.equal(await lab.pid('alpha'), null), 10_000, 50);
    const failover = (state: string) =>
      colo(['failover', 'web', '--to', 'secondary', '-f', lab.spec, '--state', state]);
    const [a, b] = await Promise.all([failover(stateA), failover(stateB)]);
    const { winner, loser, winnerIsA } = oneWinner(a, b);
    t.diagnostic(`winner ${winnerIsA ? 'A' : 'B'} in ${Math.round(winner.ms)} ms, loser in ${Math.round(loser.ms)} ms`);
    assert.match(winner.stdout, /now runs alone on beta/);
    assertRefusedByHolder(loser, 'failover', winnerIsA ? stateA : stateB);
    assert.ok(!flockHeld(lockFile));
    const again = await failover(winnerIsA ? stateB : stateA);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /already/);
  });
});
