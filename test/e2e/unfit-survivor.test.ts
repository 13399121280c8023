/**
 * An unfit survivor is refused on real QEMU: the secondary's guest crashed (an NMI injected into the
 * secondary only; the guest panics on it, kernel.unknown_nmi_panic), or its NIC is stuck in the virtio
 * `disabled` state (a reset of the secondary, QEMU 7.2's flag bug). The primary's host is made
 * unreachable (its sshd stopped; its QEMU keeps running) so that only the survivor's fitness stands
 * in the way. colo must refuse naming the reason, send the survivor nothing but queries, and leave
 * both QEMUs running; once the host is back, apply re-protects and every acknowledged record is on
 * both identical images.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stopSshd } from '../../src/lab/sshd.ts';
import { colo, eventually, httpGet, parseGuestAnswer, restartLabSshd, startLab, type TestLab } from '../helpers/lab.ts';
import { RecordWatch } from '../helpers/records.ts';
import { assertReprotected, qemuTrace, qmpCommands, READ_ONLY_QMP, TRACE_ARGS } from '../helpers/witness.ts';

const NIC = '/machine/peripheral/nic-net0/virtio-backend';

describe('an unfit survivor is not promoted', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let boot: string;
  let watch: RecordWatch;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=200', trace: TRACE_ARGS });
    const port = lab.vms[0]!.servicePort;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    boot = parseGuestAnswer(await eventually('guest answers', () => httpGet('127.0.0.11', port), 60_000)).boot;
    watch = new RecordWatch('127.0.0.11', port);
    await watch.advance(3);
  });
  after(async () => {
    await watch?.stop();
    await lab?.down();
  });

  /**
   * With alpha's sshd stopped, `failover --to secondary` is refused matching `reason`; neither QEMU is
   * touched (same pids, only read-only QMP on beta); then alpha comes back and apply re-protects.
   */
  async function refusedThenReprotected(reason: RegExp, where: string, t: import('node:test').TestContext) {
    const pids = { alpha: await lab.pid('alpha'), beta: await lab.pid('beta') };
    await stopSshd(lab.hosts.find((h) => h.name === 'alpha')!.pidFile);
    const since = Date.now();
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /web: the secondary on beta is not fit to take over: /);
    assert.match(r.stderr, reason);
    assert.match(r.stderr, /pass --force to do it anyway/);
    const cmds = qmpCommands(await qemuTrace(lab, 'beta')).filter((c) => c.ms >= since);
    assert.ok(cmds.length > 0, 'colo observed the secondary');
    assert.deepEqual(
      cmds.filter((c) => !READ_ONLY_QMP.test(c.command)).map((c) => c.command),
      [],
      'nothing but queries reached the unfit secondary',
    );
    assert.deepEqual({ alpha: await lab.pid('alpha'), beta: await lab.pid('beta') }, pids, 'both QEMUs still run');
    t.diagnostic(`refused: ${r.stderr.trim().split('\n')[0]}`);

    await restartLabSshd(lab, 'alpha');
    const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(re.code, 0, re.stdout + re.stderr);
    assert.equal(await lab.pid('alpha'), pids.alpha, 'the primary kept running');
    assert.notEqual(await lab.pid('beta'), pids.beta, 'a new secondary');
    assert.equal(parseGuestAnswer(await httpGet('127.0.0.11', lab.vms[0]!.servicePort)).boot, boot);
    await assertReprotected(lab, await watch.advance(1), 'alpha', 'beta', { where, boot, t });
    const v = await colo(['verify', '-f', lab.spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  }

  test("the secondary's guest crashed (NMI panic on the secondary only): refused, naming the panic", async (t) => {
    await lab.withQmp('beta', (q) => q.execute('inject-nmi'));
    const consoleLog = path.join(lab.dir, 'hosts', 'beta', 'web', 'console.log');
    await eventually('the secondary guest to panic', async () =>
      assert.match(await readFile(consoleLog, 'utf8'), /Kernel panic - not syncing: NMI: Not continuing/),
    );
    const primaryConsole = await readFile(path.join(lab.dir, 'hosts', 'alpha', 'web', 'console.log'), 'utf8');
    assert.doesNotMatch(primaryConsole, /Kernel panic/, 'only the secondary crashed');
    await refusedThenReprotected(
      /its guest crashed: "[^"]*Kernel panic - not syncing: NMI: Not continuing"/,
      'after the crashed secondary was replaced',
      t,
    );
  });

  test('the secondary NIC stuck disabled (reset of the secondary): refused, naming the device', async (t) => {
    const disabled = async () =>
      lab.withQmp(
        'beta',
        async (q) => (await q.execute<{ disabled: boolean }>('x-query-virtio-status', { path: NIC })).disabled,
      );
    // A checkpoint that lands before SeaBIOS touches the NIC undoes the reset: then reset again.
    for (let attempt = 1; attempt <= 5 && !(await disabled()); attempt++) {
      await lab.withQmp('beta', (q) => q.execute('system_reset'));
      await eventually(
        'the secondary NIC to be disabled',
        async () => assert.equal(await disabled(), true),
        5000,
        200,
      ).catch(() => undefined);
    }
    assert.equal(await disabled(), true, 'the secondary NIC did not become disabled');
    await refusedThenReprotected(
      new RegExp(`its virtio device ${NIC.replace(/\//g, '\\/')} is stuck disabled`),
      'after the secondary with a disabled NIC was replaced',
      t,
    );
  });
});
