/**
 * Soak: a lab pair in COLO serves one request a second for 5 minutes (COLO_SOAK_SECONDS overrides);
 * every request must be answered within 5 s (a packet may wait for the next periodic checkpoint).
 * If the service stalls, colo's own verify must name the cause; the test restarts the pair only for a
 * cause colo detected, and says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { colo, eventually, httpGet, parseGuestAnswer, startLab, type TestLab } from '../helpers/lab.ts';

const SECONDS = Number(process.env.COLO_SOAK_SECONDS ?? 300);

describe('soak', { timeout: (SECONDS + 300) * 1000 }, () => {
  let lab: TestLab;
  before(async () => {
    lab = await startLab();
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  test(`one request a second for ${SECONDS} s through the primary, each answered within 5 s`, async (t) => {
    const port = lab.vms[0]!.servicePort;
    await eventually('guest answers', () => httpGet('127.0.0.11', port, 5000), 60_000);
    const latencies: number[] = [];
    const failures: string[] = [];
    const restarts: string[] = [];
    let lastCounter = -1;
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const tick = Date.now();
      const t0 = performance.now();
      try {
        const a = parseGuestAnswer(await httpGet('127.0.0.11', port, 5000));
        latencies.push(performance.now() - t0);
        assert.ok(a.counter >= lastCounter, `counter went back: ${lastCounter} -> ${a.counter}`);
        lastCounter = a.counter;
      } catch (e) {
        const msg = `request at +${Math.round((tick - (end - SECONDS * 1000)) / 1000)} s: ${(e as Error).message}`;
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
      `${latencies.length} requests answered; latency p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, ` +
        `max ${q(1)} ms; ${restarts.length} re-protections for causes colo named`,
    );
    assert.deepEqual(failures, [], `requests not answered within 5 s:\n${failures.join('\n')}`);
    assert.ok(latencies.length >= SECONDS * 0.9, `only ${latencies.length} requests in ${SECONDS} s`);
    const v = await colo(['verify', '-f', lab.spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});
