/**
 * Soak: a lab pair in COLO serves one request a second for 5 minutes (COLO_SOAK_SECONDS overrides);
 * every request must be answered within 5 s (a packet may wait for the next periodic checkpoint).
 * If the service stalls, colo's own verify must name the cause; the test restarts the pair only for a
 * cause colo detected, and says so. What the soak exists to find is never forgiven: a counter or a
 * record acknowledgement that goes back, another boot id, a record the guest acknowledged that is not
 * on the disks (checked after every re-protection and at the end, on both identical images), and a
 * soak that sent no request at all (COLO_SOAK_SECONDS=0) fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { colo, eventually, httpGet, parseGuestAnswer, startLab, type TestLab } from '../helpers/lab.ts';
import { parseRecordAcks } from '../helpers/records.ts';
import { assertGuestRecordsIntact, assertReprotected } from '../helpers/witness.ts';

const SECONDS = Number(process.env.COLO_SOAK_SECONDS ?? 300);

describe('soak', { timeout: (SECONDS + 300) * 1000 }, () => {
  let lab: TestLab;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=500' });
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  test(`one request a second for ${SECONDS} s through the primary, each answered within 5 s`, async (t) => {
    const port = lab.vms[0]!.servicePort;
    const first = parseGuestAnswer(await eventually('guest answers', () => httpGet('127.0.0.11', port, 5000), 60_000));
    const latencies: number[] = [];
    const failures: string[] = [];
    const restarts: string[] = [];
    let sent = 0;
    let lastCounter = first.counter;
    let acked: Record<string, number> = parseRecordAcks(await httpGet('127.0.0.11', port, 5000));
    const ackedAtStart = { ...acked };
    const start = Date.now();
    const end = start + SECONDS * 1000;
    while (Date.now() < end) {
      const tick = Date.now();
      const t0 = performance.now();
      sent++;
      let body: string | undefined;
      let error: Error | undefined;
      try {
        body = await httpGet('127.0.0.11', port, 5000);
      } catch (e) {
        error = e as Error;
      }
      if (body !== undefined) {
        latencies.push(performance.now() - t0);
        // outside any try: what the soak exists to find fails it at once
        const a = parseGuestAnswer(body);
        assert.equal(
          a.boot,
          first.boot,
          `another boot id at +${Math.round((tick - start) / 1000)} s: the guest rebooted`,
        );
        assert.ok(a.counter >= lastCounter, `counter went back: ${lastCounter} -> ${a.counter}`);
        lastCounter = a.counter;
        const now = parseRecordAcks(body);
        for (const [disk, seq] of Object.entries(acked))
          assert.ok((now[disk] ?? 0) >= seq, `record acknowledgement of ${disk} went back: ${seq} -> ${now[disk]}`);
        acked = now;
      } else {
        const msg = `request at +${Math.round((tick - start) / 1000)} s: ${error!.message}`;
        const v = await colo(['verify', '-f', lab.spec, '--json']);
        const doc = JSON.parse(v.stdout || '{}') as {
          ok?: boolean;
          vms?: { checks: { name: string; ok: boolean; detail: string }[] }[];
        };
        const named = (doc.vms ?? []).flatMap((x) =>
          x.checks.filter((c) => !c.ok && (c.name === 'virtio' || c.name === 'console')),
        );
        if (named.length > 0) {
          restarts.push(
            `${msg}; colo verify named the cause: ${named.map((c) => c.detail).join('; ')}; re-protecting with ` +
              `colo apply`,
          );
          t.diagnostic(restarts[restarts.length - 1]!);
          const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
          assert.equal(re.code, 0, re.stdout + re.stderr);
          // the re-protection kept every acknowledged record, on both sides
          await assertReprotected(lab, acked, 'alpha', 'beta', { where: 'soak re-protection', t });
        } else {
          failures.push(`${msg}; colo verify: ${v.stdout.trim().slice(0, 400)}`);
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
    }
    latencies.sort((a, b) => a - b);
    const q = (p: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
    t.diagnostic(
      `${latencies.length} of ${sent} requests answered; latency p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ` +
        `${q(0.99)} ms, max ${q(1)} ms; ${restarts.length} re-protections for causes colo named; records ` +
        `acknowledged ${JSON.stringify(ackedAtStart)} -> ${JSON.stringify(acked)}`,
    );
    assert.deepEqual(failures, [], `requests not answered within 5 s:\n${failures.join('\n')}`);
    assert.ok(sent > 0, `the soak sent no request in ${SECONDS} s`);
    assert.equal(latencies.length + restarts.length, sent, 'every request answered or its cause named');
    for (const [disk, seq] of Object.entries(acked))
      assert.ok(seq > (ackedAtStart[disk] ?? 0), `${disk}: no record acknowledged during the soak`);
    const v = await colo(['verify', '-f', lab.spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    await assertGuestRecordsIntact('127.0.0.11', port, acked);
    await assertReprotected(lab, acked, 'alpha', 'beta', { where: 'after the soak', boot: first.boot, t });
  });
});
