/**
 * Fencing unreachable hosts (src/engine/fence.ts): each host at most once however many VMs need it,
 * the operator's word, a refusal without a fence command, and a real fence command run on this
 * machine through the local Transport (exit code, output, timeout).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fenceEachHostOnce, runFenceCommand } from '../../../src/engine/fence.ts';
import { FailoverRefused } from '../../../src/plan/failover-decision.ts';
import { webSpec } from '../plan/plan-fixtures.ts';

const base = webSpec();
const spec = {
  ...base,
  hosts: { ...base.hosts, beta: { ...base.hosts.beta!, fence: { command: ['power-off', 'beta'], timeoutMs: 777 } } },
};

describe('fencing an unreachable host', () => {
  test('its fence command runs once for all its VMs', async () => {
    const calls: [string[], number][] = [];
    const fence = fenceEachHostOnce(spec, [], async (argv, ms) => {
      calls.push([argv, ms]);
      return { code: 0, output: '' };
    });
    assert.deepEqual(await Promise.all([fence('beta', 'down'), fence('beta', 'down')]), [
      'fence-command',
      'fence-command',
    ]);
    assert.deepEqual(calls, [[['power-off', 'beta'], 777]]);
  });

  test('the operator confirmed it: nothing runs', async () => {
    const fence = fenceEachHostOnce(spec, ['beta'], async () => assert.fail('the fence command ran'));
    assert.equal(await fence('beta', 'down'), 'operator');
  });

  test('a failed fence command and a host without one are refusals', async () => {
    const fence = fenceEachHostOnce(spec, [], async () => ({ code: 3, output: 'power controller unreachable' }));
    await assert.rejects(fence('beta', 'down'), (e: Error) => {
      assert.ok(e instanceof FailoverRefused);
      assert.match(e.message, /fencing beta failed: power-off exited 3: power controller unreachable/);
      return true;
    });
    await assert.rejects(fence('alpha', 'connect ECONNREFUSED'), /has no fence command in the spec/);
  });
});

describe('runFenceCommand (this machine, local Transport)', () => {
  test('exit code and output', async () => {
    const r = await runFenceCommand(['sh', '-c', 'echo powered off; echo controller says bye >&2; exit 3'], 5000);
    assert.deepEqual(r, { code: 3, output: 'powered off\ncontroller says bye' });
  });

  test('a command that outlives its timeout is killed and has no exit code', async () => {
    const t0 = performance.now();
    const r = await runFenceCommand(['sleep', '30'], 300);
    assert.equal(r.code, null);
    assert.match(r.output, /timed out after 300 ms/);
    assert.ok(performance.now() - t0 < 5000, 'did not wait for the command');
  });

  test('on its timeout the whole process group is killed, children that ignore SIGTERM too', async () => {
    const marker = `20.${process.pid}${Date.now() % 100000}`;
    const script = `sleep ${marker} & (trap "" TERM; sleep ${marker}) & sleep ${marker}`;
    const t0 = performance.now();
    const r = await runFenceCommand(['sh', '-c', script], 300);
    assert.equal(r.code, null);
    assert.ok(performance.now() - t0 < 3000, 'did not wait for the pipes its children hold');
    const left = (): number[] => sleepers(marker);
    for (let i = 0; i < 30 && left().length > 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(left(), [], 'no child of the fence command outlives its timeout');
  });

  test('a missing program exits 127, as a shell reports it', async () => {
    const r = await runFenceCommand(['/nonexistent/colo-fence'], 5000);
    assert.equal(r.code, 127);
  });
});

/** Pids of live `sleep MARKER` processes (a zombie, already killed, does not count). */
function sleepers(marker: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const state = /^State:\s*(\S)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1];
      if (argv[0] === 'sleep' && argv[1] === marker && state !== 'Z') found.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
