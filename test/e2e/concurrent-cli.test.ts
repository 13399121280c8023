/**
 * Two colo CLIs at once on one healthy pair. QEMU serves one QMP client at a time: a `colo verify`
 * holds both QMP sockets while it waits for a checkpoint (up to the checkpoint interval, 25 s here).
 * Without a lock, another colo that needed them meanwhile got no QMP greeting within its 10 s and
 * read that as "QMP does not answer" (plan: needs your action, status: degraded, apply: exit 1).
 * Every command that reaches the hosts now holds the state lock, and one that finds a brief
 * read-only holder (plan, status, verify) waits for it: so nothing is torn down, verify passes,
 * and the other command tells the truth about the healthy pair.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { colo, type CliResult, startLab, type TestLab } from '../helpers/lab.ts';
import { qemuTrace, qmpCommands, runstates, TRACE_ARGS } from '../helpers/witness.ts';

describe('two colo CLIs at once', { timeout: 900_000 }, () => {
  let lab: TestLab;
  before(async () => {
    lab = await startLab({ trace: TRACE_ARGS, checkpointMs: 25_000 });
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  /**
   * Runs `args` while a `colo verify` holds the QMP sockets: verify is started right after a
   * checkpoint (so the next one, which it waits for, is a whole interval away), and `args` once
   * verify's observation has reached the primary (its QMP trace). Returns both results.
   */
  async function duringVerify(args: string[]): Promise<{ other: CliResult; verify: CliResult }> {
    const t0 = Date.now();
    const waitTrace = async (what: string, ok: () => Promise<boolean>) => {
      const end = Date.now() + 90_000;
      while (!(await ok())) {
        assert.ok(Date.now() < end, `no ${what} in the primary's trace`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitTrace('checkpoint', async () =>
      runstates(await qemuTrace(lab, 'alpha')).some((s) => s.ms >= t0 && s.from === 'colo' && s.to === 'running'),
    );
    const tv = Date.now();
    const verify = colo(['verify', '-f', lab.spec]);
    await waitTrace('observation by verify', async () =>
      qmpCommands(await qemuTrace(lab, 'alpha')).some((c) => c.ms >= tv && c.command === 'query-colo-status'),
    );
    const other = await colo([...args, '-f', lab.spec]);
    return { other, verify: await verify };
  }

  const pids = async () => ({ alpha: await lab.pid('alpha'), beta: await lab.pid('beta') });
  async function stillInColo(before: { alpha: number | null; beta: number | null }) {
    assert.deepEqual(await pids(), before, 'both QEMUs still run');
    await lab.withQmp('alpha', async (q) =>
      assert.equal((await q.execute<{ status: string }>('query-migrate')).status, 'colo'),
    );
    await lab.withQmp('beta', async (q) =>
      assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'secondary'),
    );
  }

  test('apply during a verify tears nothing down; verify passes', async (t) => {
    const before = await pids();
    const { other, verify } = await duringVerify(['apply', '--auto-approve']);
    t.diagnostic(`apply during verify: exit ${other.code}: ${other.stderr.trim().split('\n')[0] ?? ''}`);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.doesNotMatch(other.stdout, /Creating|Destroying|Modifying/, 'apply changed nothing');
    await stillInColo(before);
  });

  test('failover during a verify promotes nothing; verify passes', async (t) => {
    const before = await pids();
    const { other, verify } = await duringVerify(['failover', '--to', 'secondary']);
    t.diagnostic(`failover during verify: exit ${other.code}: ${other.stderr.trim().split('\n')[0] ?? ''}`);
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    await stillInColo(before);
  });

  test('plan during a verify says No changes', async () => {
    const { other, verify } = await duringVerify(['plan', '--detailed-exitcode']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(other.code, 0, other.stdout + other.stderr);
    assert.match(other.stdout, /No changes\./);
  });

  test('status during a verify says protected', async () => {
    const { other } = await duringVerify(['status', '--json']);
    assert.equal(other.code, 0, other.stderr);
    assert.equal((JSON.parse(other.stdout) as { vms: { health: string }[] }).vms[0]!.health, 'protected');
  });

  test('apply during a verify succeeds with no changes', async () => {
    const { other } = await duringVerify(['apply', '--auto-approve']);
    assert.equal(other.code, 0, other.stdout + other.stderr);
    assert.match(other.stdout, /No changes/);
  });

  test('failover during a verify refuses because the pair is healthy', async () => {
    const { other } = await duringVerify(['failover', '--to', 'secondary']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /the pair is healthy/);
  });
});
