/**
 * Failover and re-protection end to end (real QEMU, real sshd, the tiny guest whose counter goes to
 * disk, console and HTTP): primary lost -> failover to the secondary -> re-protect -> secondary lost
 * -> failover to the primary -> re-protect; an unreachable host needs fencing; re-runs are safe.
 * The guest writes continuity records on its disk and acknowledges them over HTTP (colo_records=):
 * after every failover every record acknowledged before the loss is on the survivor's image, intact
 * and in order, and after every re-protection both sides' images are identical. QEMU traces its
 * runstates and QMP commands (the tests' own witness of what happened, test/helpers/witness.ts), and
 * its announcements: after each failover the survivor's QEMU ran announce-self (its RARP rounds on
 * the spec's schedule) and the guest answered QEMU's announce request (its own gratuitous ARP).
 */
import { joinRegex } from '../helpers/regex.ts';
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RecordWatch } from '../helpers/records.ts';
import {
  assertAckedOnDisk,
  assertGuestRecordsIntact,
  assertImagesIdentical,
  consoleTail,
  diskImages,
  ExitWatch,
  qemuTrace,
  qmpCommands,
  runstates,
  TALLIES,
  TRACE_ARGS,
} from '../helpers/witness.ts';
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
import { stopSshd } from '../../src/lab/sshd.ts';
import { ANNOUNCE_TIMER_ID } from '../../src/render/recipes/announce.ts';

const ADDR = { alpha: '127.0.0.11', beta: '127.0.0.12' } as const;
/** QEMU's announce trace events: a RARP round per NIC, the guest acknowledging its own announcement. */
const ANNOUNCE_TRACE = ['-trace', 'qemu_announce_self_iter', '-trace', 'virtio_net_handle_announce'];
/** The default failover.announce: rounds 5, initial 50 ms, step 100 ms, max 550 ms. */
const ANNOUNCE_ROUNDS = 5;
/** From the first round to the last: 50 + 150 + 250 + 350 ms. */
const ANNOUNCE_SPAN_MS = 800;
/** One of colo's rounds in the trace: its timer id (ANNOUNCE_TIMER_ID), a NIC, not skipped. */
const COLO_ROUND = new RegExp(`^${ANNOUNCE_TIMER_ID}:.*skip:? *0\\b`);

describe('failover and re-protection', { timeout: 1_200_000 }, () => {
  let lab: TestLab;
  let port: number;
  let bootId: string;
  let lastCounter = 0;
  /** The guest's acknowledged records, polled through the current primary. */
  let watch: RecordWatch;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=200', trace: [...TRACE_ARGS, ...ANNOUNCE_TRACE] });
    port = lab.vms[0]!.servicePort;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const a = parseGuestAnswer(await eventually('guest answers', () => httpGet(ADDR.alpha, port), 60_000));
    bootId = a.boot;
    lastCounter = a.counter;
    watch = new RecordWatch(ADDR.alpha, port);
    await watch.advance(3);
  });
  after(async () => {
    await watch?.stop();
    await lab?.down();
  });

  /**
   * Kills the VM's QEMU on `host` right behind a record acknowledgement and returns, once it is gone,
   * every record acknowledged until then: what the survivor's disk must hold.
   */
  async function killBehindAck(host: 'alpha' | 'beta'): Promise<Record<string, number>> {
    await watch.advance(1);
    const pid = (await lab.pid(host))!;
    const exit = new ExitWatch(pid);
    process.kill(pid, 'SIGKILL');
    await exit.gone;
    return { ...watch.acked };
  }

  /** After a re-protection with `primary` primary: both images identical, every acknowledged record on both. */
  async function reprotected(t: TestContext, primary: 'alpha' | 'beta', secondary: 'alpha' | 'beta', where: string) {
    await watch.advance(1);
    const acked = { ...watch.acked };
    await assertAckedOnDisk(lab, primary, acked, { where: `${where}, primary`, boot: bootId, t });
    await assertImagesIdentical(lab, primary, secondary);
    await assertAckedOnDisk(lab, secondary, acked, { where: `${where}, secondary`, boot: bootId, t });
  }

  /** The COUNTER value in sector 0 of the disk the VM runs from on a host (read with qemu-io, force-share). */
  const diskCounter = async (host: 'alpha' | 'beta'): Promise<number> => {
    const img = (await diskImages(lab, host)).disk0!;
    const r = spawnSync('qemu-io', ['-r', '-U', '-c', 'read -v 0 32', img], { encoding: 'utf8' });
    const ascii = r.stdout
      .split('\n')
      .map((l) => l.slice(58))
      .join('');
    const m = /COUNTER\.?(\d+)/.exec(ascii.replace(/\s/g, '.'));
    if (!m) throw new Error(`no COUNTER in sector 0 of ${img}: ${r.stdout}${r.stderr}`);
    return Number(m[1]);
  };

  /**
   * QEMU's trace on the survivor since `since`: announce-self handled once, after COLO was left
   * (x-colo-lost-heartbeat, when sent); then one RARP round per NIC (one here) `ANNOUNCE_ROUNDS` times over
   * about ANNOUNCE_SPAN_MS; and the guest acknowledged QEMU's announce request (it sent its own).
   */
  async function assertAnnounced(t: TestContext, host: 'alpha' | 'beta', since: number): Promise<void> {
    const trace = await eventually(
      `${ANNOUNCE_ROUNDS} announce rounds on ${host}`,
      async () => {
        const tr = (await qemuTrace(lab, host)).filter((e) => e.ms >= since);
        const rounds = tr.filter((e) => e.event === 'qemu_announce_self_iter' && COLO_ROUND.test(e.text));
        assert.ok(rounds.length >= ANNOUNCE_ROUNDS, `${rounds.length} rounds so far`);
        return tr;
      },
      15_000,
    );
    const commands = qmpCommands(trace).map((c) => c.command);
    assert.equal(commands.filter((c) => c === 'announce-self').length, 1, `QMP commands: ${commands.join(' ')}`);
    assert.ok(
      commands.indexOf('announce-self') > commands.indexOf('x-colo-lost-heartbeat'),
      `announce-self after leaving COLO: ${commands.join(' ')}`,
    );
    const sent = trace.find((e) => e.event === 'handle_qmp_command' && /announce-self/.test(e.text))!;
    const rounds = trace.filter(
      (e) => e.event === 'qemu_announce_self_iter' && COLO_ROUND.test(e.text) && e.ms >= sent.ms,
    );
    // QEMU's own rounds (timer "_"): a secondary whose incoming migration ends at failover announces
    // with the migration's parameters too; counted for the diagnostic only.
    const own = trace.filter((e) => e.event === 'qemu_announce_self_iter' && /^_:.*skip:? *0\b/.test(e.text));
    assert.equal(rounds.length, ANNOUNCE_ROUNDS, rounds.map((e) => e.text).join('\n'));
    const span = rounds[rounds.length - 1]!.ms - rounds[0]!.ms;
    assert.ok(span >= ANNOUNCE_SPAN_MS * 0.9 && span < ANNOUNCE_SPAN_MS * 6, `rounds spanned ${span} ms`);
    const acks = await eventually(
      `the guest on ${host} to acknowledge an announcement`,
      async () => {
        const a = (await qemuTrace(lab, host)).filter(
          (e) => e.event === 'virtio_net_handle_announce' && e.ms >= sent.ms,
        );
        assert.ok(a.length > 0, 'no virtio_net_handle_announce yet');
        return a;
      },
      10_000,
    );
    t.diagnostic(
      `announce on ${host}: ${rounds.length} RARP rounds over ${Math.round(span)} ms, first ` +
        `${Math.round(rounds[0]!.ms - sent.ms)} ms after the command; QEMU's own rounds ${own.length}; ` +
        `the guest acknowledged ${acks.length}`,
    );
  }

  const answer = async (host: 'alpha' | 'beta') =>
    parseGuestAnswer(await eventually(`guest answers on ${host}`, () => httpGet(ADDR[host], port, 5000), 30_000));

  test('a healthy pair is not failed over without --force', async () => {
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the pair is healthy/);
    assert.notEqual(await lab.pid('alpha'), null);
  });

  test('primary lost: failover --to secondary promotes it; counter continues, service and disk survive', async (t) => {
    // the last value the primary's guest acknowledged to the network
    const acked = await answer('alpha');
    assert.equal(acked.boot, bootId);
    const ackedRecords = await killBehindAck('alpha');
    const tFailover = Date.now();
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    watch.target = ADDR.beta;
    assert.match(r.stderr, /web: announcing web's NICs from beta \(announce-self\)/);
    await assertAnnounced(t, 'beta', tFailover);
    assert.match(
      r.stdout,
      /web now runs alone on beta .* in \d+ ms \[connect \d+ ms, fence \d+ ms, QMP \d+ ms, verify \d+ ms\]/,
    );
    const after1 = await answer('beta');
    assert.equal(after1.boot, bootId, 'same guest (boot id) after the failover');
    assert.ok(after1.counter >= acked.counter, `counter went back: ${acked.counter} -> ${after1.counter}`);
    const after2 = await eventually('the counter to advance on the promoted secondary', async () => {
      const a = await answer('beta');
      assert.ok(a.counter > after1.counter, `still ${a.counter}`);
      return a;
    });
    lastCounter = after2.counter;
    // its disk holds the writes made before the failover (the guest writes COUNTER N to sector 0
    // every 2 s with fsync; the promoted secondary's overlays were committed into its base image)
    const onDisk = await diskCounter('beta');
    assert.ok(
      onDisk >= acked.counter - 2,
      `disk counter ${onDisk} is behind the acknowledged counter ${acked.counter}`,
    );
    // every record the primary's guest acknowledged before it was killed is on the promoted disk,
    // intact and in order; the guest's own reader agrees; and new records keep landing
    await assertAckedOnDisk(lab, 'beta', ackedRecords, { where: 'after failover to beta (primary killed)', t });
    await assertGuestRecordsIntact(ADDR.beta, port, ackedRecords);
    await watch.advance(2);
  });

  test('a second failover for the failed-over VM says so and changes nothing', async () => {
    const pid = await lab.pid('beta');
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr + r.stdout, /already runs alone on beta|degraded/);
    assert.equal(await lab.pid('beta'), pid);
  });

  test('status shows the pair degraded with the last failover', async () => {
    const r = await colo(['status', '-f', lab.spec, '--json']);
    const doc = JSON.parse(r.stdout) as {
      vms: { health: string; primary: { host: string }; lastFailover: { from: string; to: string } | null }[];
    };
    assert.equal(doc.vms[0]!.health, 'degraded');
    assert.equal(doc.vms[0]!.primary.host, 'beta');
    assert.deepEqual([doc.vms[0]!.lastFailover?.from, doc.vms[0]!.lastFailover?.to], ['alpha', 'beta']);
  });

  test('plan shows the degraded pair and its re-protection; apply restores COLO while the VM serves', async (t) => {
    const tApply = Date.now();
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /the secondary QEMU on alpha is gone/);
    assert.match(plan.stdout, /# vm\.web\.secondary\.qemu on alpha will be created/);
    assert.match(plan.stdout, /# vm\.web\.colo on beta will be created/);
    // the VM keeps running during re-protection: sample its counter every ~200 ms; the service must
    // keep answering and the counter advancing; QEMU's own trace shows the guest was never paused
    // except by the switchover and the checkpoints
    let stop = false;
    const samples: { t: number; counter: number }[] = [];
    let lastOk = Date.now();
    let worstGap = 0;
    const poller = (async () => {
      while (!stop) {
        try {
          const a = parseGuestAnswer(await httpGet(ADDR.beta, port, 5000));
          samples.push({ t: Date.now(), counter: a.counter });
          worstGap = Math.max(worstGap, Date.now() - lastOk);
          lastOk = Date.now();
        } catch {
          /* counted as a gap by the next success */
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    stop = true;
    await poller;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // longest time the counter showed the same value (the guest increments it every second)
    let still = 0;
    for (let i = 0, j = 0; j < samples.length; j++) {
      if (samples[j]!.counter !== samples[i]!.counter) i = j;
      still = Math.max(still, samples[j]!.t - samples[i]!.t);
    }
    assert.ok(samples.length >= 3, `only ${samples.length} samples during re-protection`);
    assert.ok(
      samples[samples.length - 1]!.counter > samples[0]!.counter,
      `the guest's counter did not advance during re-protection: ${JSON.stringify(samples)}`,
    );
    // QEMU's runstates on the primary during the apply: the guest ran throughout but for the one
    // switchover pause (finish-migrate) and the checkpoints (colo); never paused, never stopped
    const states = runstates(await qemuTrace(lab, 'beta')).filter((s) => s.ms >= tApply);
    const entered = [...new Set(states.map((s) => s.to))].sort();
    assert.deepEqual(
      entered.filter((s) => !['colo', 'finish-migrate', 'running'].includes(s)),
      [],
      `runstates: ${entered}`,
    );
    const pauses = states.filter((s) => s.to === 'finish-migrate');
    assert.equal(pauses.length, 1, 'one switchover pause');
    const resumed = states.find((s) => s.ms >= pauses[0]!.ms && s.from === 'finish-migrate' && s.to === 'running')!;
    const pauseMs = resumed.ms - pauses[0]!.ms;
    const reported = Number(/switchover pause (\d+) ms/.exec(r.stdout)?.[1]);
    assert.ok(Math.abs(reported - pauseMs) <= 5, `colo reported a ${reported} ms pause, QEMU's trace ${pauseMs} ms`);
    const checkpoints = states.filter((s) => s.to === 'colo').length;
    t.diagnostic(
      `re-protection: ${samples.length} samples, counter ${samples[0]!.counter} -> ` +
        `${samples[samples.length - 1]!.counter}, longest standstill ${still} ms, longest service gap ` +
        `${worstGap} ms, switchover pause ${Math.round(pauseMs)} ms (QEMU trace), ${checkpoints} checkpoints`,
    );
    await lab.withQmp('beta', async (q) => {
      assert.equal((await q.execute<{ status: string }>('query-migrate')).status, 'colo');
      assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'primary');
    });
    await lab.withQmp('alpha', async (q) =>
      assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'secondary'),
    );
    const a = await answer('beta');
    assert.equal(a.boot, bootId);
    assert.ok(a.counter >= lastCounter);
    const again = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    await reprotected(t, 'beta', 'alpha', 're-protected from the promoted beta');
  });

  test('secondary lost: failover --to primary keeps the primary running with a writable disk', async (t) => {
    await killBehindAck('alpha');
    const tFailover = Date.now();
    const r = await colo(['failover', '-f', lab.spec, '--to', 'primary', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { results: { outcome: string; announce?: unknown }[] };
    assert.equal(doc.results[0]?.outcome, 'promoted');
    assert.deepEqual(doc.results[0]?.announce, { state: 'sent', rounds: ANNOUNCE_ROUNDS });
    await assertAnnounced(t, 'beta', tFailover);
    const a = await answer('beta');
    await eventually('the counter to advance', async () => {
      const b = await answer('beta');
      assert.ok(
        b.counter > a.counter,
        `counter ${a.counter} -> ${b.counter}; console:\n${await consoleTail(lab, 'beta')}`,
      );
    });
    // the quorum no longer waits for the dead NBD child: the guest's fsync'ed writes keep landing
    const d1 = await diskCounter('beta');
    await eventually(
      'the disk counter to advance',
      async () => {
        const d2 = await diskCounter('beta');
        assert.ok(d2 > d1, `disk counter did not advance: ${d1} -> ${d2}`);
      },
      20_000,
    );
    // and so do the records: those acknowledged after the failover are on the primary's disk
    await assertAckedOnDisk(lab, 'beta', await watch.advance(2), { where: 'primary alone after failover', t });
    await lab.withQmp('beta', async (q) =>
      assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'none'),
    );
  });

  test('re-protect after the second failover, then fail over back to alpha (roles swapped twice)', async (t) => {
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await colo(['plan', '-f', lab.spec, '--detailed-exitcode'])).code, 0);
    await reprotected(t, 'beta', 'alpha', 're-protected after the failover to the primary');
    const acked = await killBehindAck('beta');
    const f = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    watch.target = ADDR.alpha;
    const a = await answer('alpha');
    assert.equal(a.boot, bootId, 'still the same guest after two promotions');
    await assertAckedOnDisk(lab, 'alpha', acked, { where: 'after failover back to alpha', boot: bootId, t });
    const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(re.code, 0, re.stdout + re.stderr);
    assert.equal((await colo(['plan', '-f', lab.spec, '--detailed-exitcode'])).code, 0);
    await reprotected(t, 'alpha', 'beta', 're-protected from the promoted alpha');
  });

  test(
    'host unreachable: failover refuses without confirmed fencing; the fence command or --i-have-fenced ' +
      'confirms it',
    async (t) => {
      // alpha is primary, beta secondary: beta "dies" (its QEMU killed, its sshd stopped)
      const beta = lab.hosts.find((h) => h.name === 'beta')!;
      const downBeta = async () => {
        await killBehindAck('beta');
        await stopSshd(beta.pidFile);
      };
      await downBeta();
      const refused = await colo(['failover', '-f', lab.spec, '--to', 'primary']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /cannot confirm that beta no longer runs the VM: it is unreachable/);
      assert.match(refused.stderr, /--i-have-fenced beta/);
      assert.equal(
        await colo(['plan', '-f', lab.spec]).then((p) => /secondary host beta is unreachable/.test(p.stdout)),
        true,
      );

      // a fence command that fails is not a confirmation
      await editSpec(lab.spec, (t) =>
        t.replace(
          /(\n  beta:\n)/,
          `$1    fence:\n      command: [sh, -c, "echo power controller unreachable >&2; exit 3"]\n`,
        ),
      );
      const failed = await colo(['failover', '-f', lab.spec, '--to', 'primary']);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /fencing beta failed: sh exited 3: power controller unreachable/);

      // a fence command that succeeds is
      await editSpec(lab.spec, (t) => t.replace('exit 3', 'exit 0'));
      const fenced = await colo(['failover', '-f', lab.spec, '--to', 'primary']);
      assert.equal(fenced.code, 0, fenced.stdout + fenced.stderr);
      assert.match(fenced.stdout, /beta fenced: fence-command/);
      await assertAckedOnDisk(lab, 'alpha', await watch.advance(1), { where: 'alpha alone (beta fenced)', t });

      // beta comes back: re-protect, then lose it again and confirm by hand
      await restartLabSshd(lab, 'beta');
      const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
      assert.equal(re.code, 0, re.stdout + re.stderr);
      await reprotected(t, 'alpha', 'beta', 're-protected once beta was back');
      await downBeta();
      const ok = await colo(['failover', '-f', lab.spec, '--to', 'primary', '--i-have-fenced', 'beta']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /beta fenced: operator/);
      const a = await answer('alpha');
      assert.equal(a.boot, bootId);
      await assertAckedOnDisk(lab, 'alpha', await watch.advance(1), { where: 'alpha alone (operator fenced)', t });
      const plan = await colo(['plan', '-f', lab.spec]);
      assert.match(plan.stdout, /secondary host beta is unreachable/);
      assert.match(plan.stdout, /the pair stays degraded/);
    },
  );

  test(
    'destroy with a host unreachable removes what it reaches and keeps the pair; once the host is back, ' +
      'destroy finishes',
    async () => {
      // From the previous test: alpha runs web alone, beta (its sshd) is down.
      const statePath = path.join(path.dirname(lab.spec), '.colo', 'state.json');
      const d1 = await colo(['destroy', '-f', lab.spec, '--auto-approve']);
      assert.equal(d1.code, 1, d1.stdout + d1.stderr);
      assert.match(d1.stdout, /Warning: web cannot be destroyed completely\n\s+host beta is unreachable/);
      assert.doesNotMatch(d1.stdout, / on beta will be destroyed/, 'nothing planned on the unreachable host');
      assert.match(
        d1.stderr,
        joinRegex(
          /1 pair could not be destroyed completely and needs your action:/,
          /[\s\S]*To resolve: run the same destroy again once beta is reachable/,
        ),
      );
      assert.equal(await lab.pid('alpha'), null, "alpha's QEMU was stopped");
      assert.deepEqual(
        Object.keys((JSON.parse(await readFile(statePath, 'utf8')) as { vms: object }).vms),
        ['web'],
        'the pair stays in the state',
      );

      await restartLabSshd(lab, 'beta');
      const d2 = await colo(['destroy', '-f', lab.spec, '--auto-approve']);
      assert.equal(d2.code, 0, d2.stdout + d2.stderr);
      assert.deepEqual(
        Object.keys((JSON.parse(await readFile(statePath, 'utf8')) as { vms: object }).vms),
        [],
        'the pair left the state',
      );
      const p = await colo(['plan', '-f', lab.spec, '--destroy', '--detailed-exitcode']);
      assert.equal(p.code, 0, p.stdout + p.stderr);
    },
  );

  test('the records checked in this file: every check saw acknowledged records, all verified', (t) => {
    assert.ok(TALLIES.length >= 12, `only ${TALLIES.length} record checks ran`);
    for (const x of TALLIES) assert.ok(x.acked > 0 && x.written >= x.acked && x.verified >= x.acked, JSON.stringify(x));
    const sum = (k: 'written' | 'acked' | 'verified') => TALLIES.reduce((a, x) => a + x[k], 0);
    t.diagnostic(
      `${TALLIES.length} record checks: written ${sum('written')}, acknowledged ${sum('acked')}, verified ` +
        `${sum('verified')} (summed over the checks)`,
    );
  });
});
