/**
 * `colo drill VM --back` end to end, checked by the test's own probes rather than drill's "ok": the
 * pair fails over to its secondary and back again (two rounds); in each round the test follows the
 * service to the new primary and must see the guest there acknowledge new records; at the end the
 * roles are where they started (per QEMU's own COLO status), the guest is the same boot, every
 * acknowledged record is on both disks and both images are identical. A drill of a degraded pair
 * fails (exit 1, `ok: false` in JSON).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { colo, eventually, httpGet, parseGuestAnswer, startLab, type TestLab } from '../helpers/lab.ts';
import { RecordWatch } from '../helpers/records.ts';
import { assertGuestRecordsIntact, assertReprotected, TRACE_ARGS } from '../helpers/witness.ts';

const ADDR = { alpha: '127.0.0.11', beta: '127.0.0.12' } as const;

describe('colo drill', { timeout: 900_000 }, () => {
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
    await lab?.down();
  });

  test('drill --back: over to beta and back to alpha, the service followed by the test in each round', async (t) => {
    /** Acknowledged records (vda) when each drill phase line appeared. */
    const at: Record<string, number> = {};
    const r = await colo(['drill', 'web', '-f', lab.spec, '--back'], {
      onStdout: (chunk) => {
        for (const line of chunk.split('\n')) {
          const m = /^drill web: (.+?) \(round (\d)\): ok/.exec(line);
          if (!m) continue;
          at[`${m[1]} ${m[2]}`] = watch.acked['vda'] ?? 0;
          // follow the service to the new primary: beta after round 1's failover, alpha after round 2's
          if (m[1] === 'failover to the secondary') watch.target = m[2] === '1' ? ADDR.beta : ADDR.alpha;
        }
      },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /drill web: passed/);
    for (const round of ['1', '2']) {
      // the new primary of this round served the test and wrote records while the drill ran
      const promoted = at[`failover to the secondary ${round}`];
      const done = at[`verify after ${round}`];
      assert.ok(promoted !== undefined && done !== undefined, `round ${round} phases: ${JSON.stringify(at)}`);
      assert.ok(done > promoted, `round ${round}: no record acknowledged by the new primary (${promoted} -> ${done})`);
    }
    t.diagnostic(`acknowledged records at each phase: ${JSON.stringify(at)}`);
    // the roles are back where they started, per QEMU itself
    await lab.withQmp('alpha', async (q) => {
      assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'primary');
      assert.equal((await q.execute<{ status: string }>('query-migrate')).status, 'colo');
    });
    await lab.withQmp('beta', async (q) =>
      assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'secondary'),
    );
    assert.equal(parseGuestAnswer(await httpGet(ADDR.alpha, port)).boot, boot, 'the same guest, never rebooted');
    const acked = await watch.advance(1);
    await assertGuestRecordsIntact(ADDR.alpha, port, acked);
    await assertReprotected(lab, acked, 'alpha', 'beta', { where: 'after drill --back', boot, t });
    assert.equal((await colo(['plan', '-f', lab.spec, '--detailed-exitcode'])).code, 0);
  });

  test('a drill of a degraded pair fails before touching it, in JSON too', async () => {
    process.kill((await lab.pid('beta'))!, 'SIGKILL');
    const alpha = await lab.pid('alpha');
    const r = await colo(['drill', 'web', '-f', lab.spec]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /drill web failed at "verify before": .*the secondary is down/);
    const j = await colo(['drill', 'web', '-f', lab.spec, '--json']);
    assert.equal(j.code, 1, j.stdout + j.stderr);
    const doc = JSON.parse(j.stdout) as { ok: boolean; phases: { phase: string; ok: boolean }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(
      doc.phases.map((p) => [p.phase, p.ok]),
      [['verify before', false]],
    );
    assert.equal(await lab.pid('alpha'), alpha, 'the primary was not touched');
  });
});
