/**
 * Re-protections interrupted in the middle of the switchover, against real QEMU: colo's SSH
 * connection to the primary cut while it wires replication and the proxy, and while QEMU copies the
 * RAM (the migration goes on without colo); the secondary killed during the RAM copy (the switchover
 * rollback of src/engine/steps/colo-start.ts). The RAM copy is slowed down (checkpoint.maxBandwidth
 * 8M) so that the interruption lands in it. After each: `plan` tells the truth, judged against the
 * test's own look at the primary over QMP (No changes exactly when the pair is fully in COLO with
 * nothing of the switchover left over), and `apply` converges; every acknowledged record is on both
 * identical images.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { colo, editSpec, eventually, httpGet, parseGuestAnswer, startLab, type TestLab } from '../helpers/lab.ts';
import { RecordWatch } from '../helpers/records.ts';
import { cutSsh } from '../helpers/ssh-cut.ts';
import { assertAckedOnDisk, assertReprotected, TRACE_ARGS } from '../helpers/witness.ts';

interface PrimaryTruth {
  migration: string;
  mode: string;
  secondaryMode: string | null;
  blockJobs: string[];
  resyncNodes: string[];
  quorumChildren: number;
  proxyObjects: string[];
}

describe('a switchover interrupted half-way', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let boot: string;
  let watch: RecordWatch;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=200', trace: TRACE_ARGS });
    await editSpec(lab.spec, (s) => {
      const t = s.replace('interval: 2000ms', 'interval: 2000ms\n    maxBandwidth: 8M\n    switchoverDowntime: 2s');
      assert.notEqual(t, s, 'no checkpoint interval in the lab spec');
      return t;
    });
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const port = lab.vms[0]!.servicePort;
    boot = parseGuestAnswer(await eventually('guest answers', () => httpGet('127.0.0.11', port), 60_000)).boot;
    watch = new RecordWatch('127.0.0.11', port);
    await watch.advance(3);
  });
  after(async () => {
    await watch?.stop();
    await lab?.down();
  });

  /** What the primary (alpha) and the secondary really are, asked over QMP by the test itself. */
  async function truth(): Promise<PrimaryTruth> {
    const secondaryMode = (await lab.pid('beta'))
      ? await lab.withQmp('beta', async (q) => (await q.execute<{ mode: string }>('query-colo-status')).mode)
      : null;
    return lab.withQmp('alpha', async (q) => {
      const graph = await q.execute<{
        nodes: { id: number; name: string }[];
        edges: { parent: number; name: string }[];
      }>('x-debug-query-block-graph');
      const quorum = graph.nodes.find((n) => n.name === 'quorum-disk0');
      return {
        migration: (await q.execute<{ status: string }>('query-migrate')).status,
        mode: (await q.execute<{ mode: string }>('query-colo-status')).mode,
        secondaryMode,
        blockJobs: (await q.execute<{ device: string }[]>('query-block-jobs')).map((j) => j.device),
        resyncNodes: graph.nodes.map((n) => n.name).filter((n) => n.startsWith('resync-')),
        quorumChildren: graph.edges.filter((e) => e.parent === quorum?.id && e.name.startsWith('children.')).length,
        proxyObjects: (await q.execute<{ name: string }[]>('qom-list', { path: '/objects' }))
          .map((o) => o.name)
          .filter((n) => /^(m0|redire0|redire1|comp|iothread)-/.test(n)),
      };
    });
  }

  const inColo = (x: PrimaryTruth) =>
    x.migration === 'colo' &&
    x.mode === 'primary' &&
    x.secondaryMode === 'secondary' &&
    x.blockJobs.length === 0 &&
    x.resyncNodes.length === 0 &&
    x.quorumChildren === 2 &&
    x.proxyObjects.length === 5;

  /** The migration QEMU carries on without colo has ended (COLO reached, or failed). */
  async function migrationSettled(): Promise<PrimaryTruth> {
    return eventually(
      'the primary migration to leave "active"',
      async () => {
        const x = await truth();
        assert.notEqual(x.migration, 'active');
        assert.notEqual(x.migration, 'setup');
        return x;
      },
      180_000,
      500,
    );
  }

  /** plan says No changes exactly when the pair is fully in COLO; then apply converges. */
  async function planTellsTruthThenApplyConverges(t: TestContext, where: string): Promise<void> {
    const x = await migrationSettled();
    const p = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    t.diagnostic(`${where}: the primary ${JSON.stringify(x)}; plan exit ${p.code}`);
    assert.notEqual(p.code, 1, p.stdout + p.stderr);
    assert.equal(
      p.code === 0,
      inColo(x),
      `plan ${p.code === 0 ? 'says No changes' : 'plans changes'} while the primary is ` +
        `${JSON.stringify(x)}:\n${p.stdout}`,
    );
    const a = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    const again = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const after = await truth();
    assert.ok(inColo(after), `after apply: ${JSON.stringify(after)}`);
    await assertReprotected(lab, await watch.advance(1), 'alpha', 'beta', { where, boot, t });
  }

  /** Kills the secondary, then re-protects with apply, doing `interrupt` when a line matches `when`. */
  async function interruptedReprotect(when: RegExp, interrupt: () => Promise<void>) {
    process.kill((await lab.pid('beta'))!, 'SIGKILL');
    let fired: Promise<void> | undefined;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve'], {
      onStdout: (chunk) => {
        if (!fired && when.test(chunk)) fired = interrupt();
      },
    });
    assert.ok(fired, `apply never printed ${when}:\n${r.stdout}`);
    await fired;
    return r;
  }

  test('SSH to the primary cut while the switchover wires replication and the proxy', async (t) => {
    let cut = 0;
    const r = await interruptedReprotect(/switchover-wire/, async () => void (cut = cutSsh(lab, 'alpha')));
    assert.ok(cut > 0, 'no SSH connection to cut');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /stopped at vm\.web\.colo \(colo-start\): switchover failed: QMP connection closed/);
    await planTellsTruthThenApplyConverges(t, 'after an SSH cut in the wiring');
  });

  test('SSH to the primary cut while QEMU copies the RAM (the migration goes on without colo)', async (t) => {
    let cut = 0;
    const r = await interruptedReprotect(/copying the RAM/, async () => void (cut = cutSsh(lab, 'alpha')));
    assert.ok(cut > 0, 'no SSH connection to cut');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    await planTellsTruthThenApplyConverges(t, 'after an SSH cut in the RAM copy');
  });

  test('the secondary dies during the RAM copy: the switchover is rolled back, the primary runs alone', async (t) => {
    const pid = await lab.pid('alpha');
    const r = await interruptedReprotect(/copying the RAM/, async () => {
      const s = await lab.pid('beta');
      if (s) process.kill(s, 'SIGKILL');
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /switchover failed: COLO migration failed: .*\(the primary was left running alone\)/);
    // the test's own look: the same primary, unwired, serving and writing its disk
    assert.equal(await lab.pid('alpha'), pid, 'the primary QEMU kept running');
    const x = await truth();
    assert.deepEqual(
      { mode: x.mode, jobs: x.blockJobs, resync: x.resyncNodes, children: x.quorumChildren, proxy: x.proxyObjects },
      { mode: 'none', jobs: [], resync: [], children: 1, proxy: [] },
      `the primary after the rollback: ${JSON.stringify(x)}`,
    );
    assert.notEqual(x.migration, 'active');
    assert.equal(parseGuestAnswer(await httpGet('127.0.0.11', lab.vms[0]!.servicePort)).boot, boot);
    await assertAckedOnDisk(lab, 'alpha', await watch.advance(2), { where: 'primary alone after the rollback', t });
    await planTellsTruthThenApplyConverges(t, 'after the rollback');
  });
});
