/**
 * Fencing with a live loser, end to end (real QEMU, real sshd): the side colo must fence still runs
 * when `colo failover` starts. The test's own witnesses decide, not colo's messages: when the loser's
 * process really exited (polled in /proc), and the QMP commands the survivor's QEMU received, with
 * QEMU's timestamps (its trace log). The guest acknowledges continuity records over HTTP; every
 * acknowledged record must be on the survivor's disk after each promotion, and both images identical
 * after each re-protection.
 *
 * 1. a primary frozen by SIGSTOP (its host answers, QMP does not): stopped before the secondary is
 *    promoted;
 * 2. a primary whose host is unreachable but whose QEMU still runs in COLO: a fence command that
 *    fails leaves the survivor untouched (only read-only QMP, still a COLO secondary, the pair still
 *    serving); a fence command that really kills the loser is run before the promotion;
 * 3. `--force` on a healthy pair: a clean planned switchover (the loser exits on SIGTERM), no
 *    acknowledged write lost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stopSshd } from '../../src/lab/sshd.ts';
import {
  colo,
  editSpec,
  eventually,
  httpGet,
  parseGuestAnswer,
  restartLabSshd,
  startLab,
  type TestLab,
} from '../helpers/lab.ts';
import { RecordWatch } from '../helpers/records.ts';
import {
  assertAckedOnDisk,
  assertFencedBeforePromoted,
  assertGuestRecordsIntact,
  assertReprotected,
  assertUntouchedSecondary,
  ExitWatch,
  TRACE_ARGS,
} from '../helpers/witness.ts';

const ADDR = { alpha: '127.0.0.11', beta: '127.0.0.12' } as const;

describe('fencing a loser that still runs', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let port: number;
  let boot: string;
  let watch: RecordWatch;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=200', trace: TRACE_ARGS });
    port = lab.vms[0]!.servicePort;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    boot = parseGuestAnswer(await eventually('guest answers', () => httpGet(ADDR.alpha, port), 60_000)).boot;
    watch = new RecordWatch(ADDR.alpha, port);
    await watch.advance(3);
  });
  after(async () => {
    await watch?.stop();
    // a test that failed half-way may leave a QEMU stopped: let labDown kill it
    for (const h of ['alpha', 'beta'] as const) {
      const pid = await lab?.pid(h).catch(() => null);
      if (pid) process.kill(pid, 'SIGCONT');
    }
    await lab?.down();
  });

  test('a frozen primary (SIGSTOP) is stopped before the secondary is promoted', async (t) => {
    await watch.advance(1);
    const pid = (await lab.pid('alpha'))!;
    const loser = new ExitWatch(pid);
    process.kill(pid, 'SIGSTOP');
    const since = Date.now();
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /web now runs alone on beta \(alpha fenced: stopped-over-ssh\)/);
    // everything the frozen primary acknowledged was acknowledged before it froze
    const acked = { ...watch.acked };
    watch.target = ADDR.beta;
    const order = await assertFencedBeforePromoted(lab, 'beta', loser, since);
    t.diagnostic(`loser last seen alive ${Math.round(order.promotedAt - order.lastAlive)} ms before the promotion`);
    await assertAckedOnDisk(lab, 'beta', acked, { where: 'after promoting beta over a frozen alpha', boot, t });
    await assertGuestRecordsIntact(ADDR.beta, port, acked);
    assert.equal(parseGuestAnswer(await httpGet(ADDR.beta, port)).boot, boot, 'the same guest');
    const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(re.code, 0, re.stdout + re.stderr);
    await assertReprotected(lab, await watch.advance(1), 'beta', 'alpha', { where: 're-protected from beta', boot, t });
  });

  test(
    'the primary host unreachable, its QEMU alive: a failing fence command leaves the survivor untouched; a ' +
      'fence that kills the loser runs before the promotion',
    async (t) => {
      // beta is primary (in COLO, serving), alpha secondary. beta's sshd goes away; its QEMU keeps running.
      const betaHost = lab.hosts.find((h) => h.name === 'beta')!;
      const betaPid = (await lab.pid('beta'))!;
      const alphaPid = (await lab.pid('alpha'))!;
      await stopSshd(betaHost.pidFile);
      await editSpec(lab.spec, (text) =>
        text.replace(
          /(\n  beta:\n)/,
          `$1    fence:\n      command: [sh, -c, "echo power controller unreachable >&2; exit 3"]\n`,
        ),
      );
      const since = Date.now();
      const refused = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /fencing beta failed: sh exited 3: power controller unreachable/);
      const queries = await assertUntouchedSecondary(lab, 'alpha', since, alphaPid);
      t.diagnostic(`the survivor received ${queries} read-only QMP commands and nothing else`);
      assert.equal(await lab.pid('beta'), betaPid, 'the loser still runs');
      await lab.withQmp('beta', async (q) =>
        assert.equal((await q.execute<{ status: string }>('query-migrate')).status, 'colo', 'still in COLO'),
      );
      await watch.advance(1); // the pair still serves (through beta) and writes

      // A fence command that does what a power switch would, and returns once it is done: the
      // loser's QEMU is killed, and gone (a zombie counts as gone) before the command exits 0.
      const pidFile = path.join(lab.dir, 'hosts', 'beta', 'web', 'qemu.pid');
      const fence =
        'p=$(cat "$0"); kill -KILL "$p"; ' +
        'while [ -d /proc/$p ] && ! grep -q "^State:.*Z" /proc/$p/status 2>/dev/null; do sleep 0.01; done';
      await editSpec(lab.spec, (text) =>
        text.replace(
          `[sh, -c, "echo power controller unreachable >&2; exit 3"]`,
          `[sh, -c, ${JSON.stringify(fence)}, ${JSON.stringify(pidFile)}]`,
        ),
      );
      const loser = new ExitWatch(betaPid);
      const since2 = Date.now();
      const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /web now runs alone on alpha \(beta fenced: fence-command\)/);
      const acked = { ...watch.acked };
      watch.target = ADDR.alpha;
      const order = await assertFencedBeforePromoted(lab, 'alpha', loser, since2);
      t.diagnostic(`loser last seen alive ${Math.round(order.promotedAt - order.lastAlive)} ms before the promotion`);
      await assertAckedOnDisk(lab, 'alpha', acked, { where: 'after fencing beta by command', boot, t });
      await assertGuestRecordsIntact(ADDR.alpha, port, acked);

      await restartLabSshd(lab, 'beta');
      const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
      assert.equal(re.code, 0, re.stdout + re.stderr);
      await assertReprotected(lab, await watch.advance(1), 'alpha', 'beta', {
        where: 're-protected once beta was back',
        boot,
        t,
      });
    },
  );

  test('--force on a healthy pair is a clean switchover: the loser exits on SIGTERM first, no ack lost', async (t) => {
    const pid = (await lab.pid('alpha'))!;
    const loser = new ExitWatch(pid);
    await watch.advance(1);
    const since = Date.now();
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary', '--force']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /web now runs alone on beta \(alpha fenced: stopped-over-ssh\)/);
    // the acknowledgements the test got while the switchover ran count too
    const acked = { ...watch.acked };
    watch.target = ADDR.beta;
    await assertFencedBeforePromoted(lab, 'beta', loser, since);
    const log = await readFile(path.join(lab.dir, 'hosts', 'alpha', 'web', 'qemu.log'), 'utf8');
    assert.match(log, /terminating on signal 15/, 'the old primary was shut down by SIGTERM, not killed');
    await assertAckedOnDisk(lab, 'beta', acked, { where: 'after a forced switchover to beta', boot, t });
    await assertGuestRecordsIntact(ADDR.beta, port, acked);
    await watch.advance(2);
    const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(re.code, 0, re.stdout + re.stderr);
    await assertReprotected(lab, await watch.advance(1), 'beta', 'alpha', {
      where: 're-protected after the switchover',
      boot,
      t,
    });
    assert.equal((await colo(['plan', '-f', lab.spec, '--detailed-exitcode'])).code, 0);
  });
});
