/**
 * Several pairs in one spec: both applied in parallel; an SSH connection killed in the middle of an
 * apply; the re-run converges.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { colo, eventually, httpGet, startLab, type TestLab } from '../helpers/lab.ts';

/** Per-connection sshd processes of a listener (its children). */
function sshdChildren(listenerPidFile: string): number[] {
  const listener = Number(readFileSync(listenerPidFile, 'utf8').trim());
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === listener;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('two pairs on the two hosts', { timeout: 900_000 }, () => {
  let lab: TestLab;
  before(async () => {
    lab = await startLab({ vms: 2 });
  });
  after(async () => {
    await lab?.down();
  });

  test('apply brings both pairs into COLO, in parallel', async () => {
    // the order of apply's progress lines (events), not their wall-clock times
    const lines: { t: number; line: string }[] = [];
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve'], {
      onStdout: (chunk) => {
        for (const line of chunk.split('\n')) if (line) lines.push({ t: lines.length, line });
      },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Apply complete! Resources: 8 added/);
    // parallel: the second pair starts its steps before the first pair has finished its own
    const firstDone = lines.find((l) => /^vm\.web\.colo: Creation complete/.test(l.line))!;
    const secondStart = lines.find((l) => /^vm\.web2\.primary: Creating/.test(l.line))!;
    const secondDone = lines.find((l) => /^vm\.web2\.colo: Creation complete/.test(l.line))!;
    const firstStart = lines.find((l) => /^vm\.web\.primary: Creating/.test(l.line))!;
    assert.ok(
      secondStart.t < firstDone.t && firstStart.t < secondDone.t,
      `not parallel: ${JSON.stringify({ firstStart, firstDone, secondStart, secondDone })}`,
    );
    for (const vm of ['web', 'web2']) {
      await lab.withQmp(
        'alpha',
        async (q) => assert.equal((await q.execute<{ status: string }>('query-migrate')).status, 'colo'),
        vm,
      );
      await lab.withQmp(
        'beta',
        async (q) => assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'secondary'),
        vm,
      );
    }
    for (const v of lab.vms) await eventually(`${v.name} answers`, () => httpGet('127.0.0.11', v.servicePort), 60_000);
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout);
  });

  test('killing the SSH connection in the middle of apply, then re-running apply, converges', async () => {
    // make work for apply: web2's secondary dies
    process.kill((await lab.pid('beta', 'web2'))!, 'SIGKILL');
    const beta = lab.hosts.find((h) => h.name === 'beta')!;
    let killed = 0;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve'], {
      onStdout: (chunk) => {
        // once the new secondary is being created on beta, cut colo's SSH connection to beta
        if (killed === 0 && /vm\.web2\.secondary\.(images|qemu): Creating/.test(chunk)) {
          for (const pid of sshdChildren(beta.pidFile)) {
            try {
              process.kill(pid, 'SIGKILL');
              killed++;
            } catch {
              /* gone */
            }
          }
        }
      },
    });
    assert.ok(killed > 0, 'the test did not find an SSH connection to kill');
    // the interrupted apply either failed with a clear message, or (if the transport reconnected in time) converged
    if (r.code !== 0) assert.match(r.stderr, /apply failed .*\n.*web2: stopped at vm\.web2\./);
    const again = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const v = await colo(['verify', '-f', lab.spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});
