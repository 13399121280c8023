import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostLocks, UNREACHABLE_RETRY_MS } from '../../../src/engine/host-lock.ts';
import type { HeldProgram, Transport } from '../../../src/transport/types.ts';
import type { LockInfo } from '../../../src/state/types.ts';
import { webSpec } from '../plan/plan-fixtures.ts';

// Found by test/e2e/hung-peer.test.ts: with the secondary's host cut off, `failover --i-have-fenced`
// waited 20 s to lock that host, then 20 s again when the observation used it (40.6 s in all).
const holder = { pid: 1 } as unknown as LockInfo;
const held: HeldProgram = { ended: new Promise(() => undefined), isEnded: false, release: async () => undefined };

function fakeHosts(down: Set<string>) {
  const calls: { host: string; timeoutMs: number | undefined }[] = [];
  const transport = (host: string) =>
    ({
      host,
      hold: async (_argv: string[], o: { timeoutMs?: number }) => {
        calls.push({ host, timeoutMs: o.timeoutMs });
        if (down.has(host)) throw new Error(`ssh ${host}: connect timed out`);
        return { held };
      },
    }) as unknown as Transport;
  return { calls, transport };
}

describe('host locks', () => {
  const spec = webSpec();

  test('a host found unreachable is not waited on again at once, and is tried again later', async () => {
    let nowMs = 1_000_000;
    const { calls, transport } = fakeHosts(new Set(['beta']));
    const locks = new HostLocks(spec, holder, transport, () => new Date(nowMs));
    const r = await locks.lockAll(['alpha', 'beta']);
    assert.deepEqual(
      r.unreachable.map((u) => u.host),
      ['beta'],
    );
    await assert.rejects(locks.ensure('beta'), /connect timed out/);
    assert.equal(calls.filter((c) => c.host === 'beta').length, 1, 'the second use did not connect again');
    nowMs += UNREACHABLE_RETRY_MS;
    await assert.rejects(locks.ensure('beta'), /connect timed out/);
    assert.equal(calls.filter((c) => c.host === 'beta').length, 2, 'tried again after the retry time');
  });

  test('per-host timeouts, and excluded hosts (fenced by the operator) never locked nor contacted', async () => {
    const { calls, transport } = fakeHosts(new Set());
    const locks = new HostLocks(spec, holder, transport, undefined, {
      timeoutFor: (h) => (h === 'alpha' ? 2000 : undefined),
      exclude: new Set(['beta']),
    });
    await locks.lockAll(['alpha', 'beta']);
    await locks.ensure('beta');
    assert.deepEqual(calls, [{ host: 'alpha', timeoutMs: 2000 }]);
    assert.equal(locks.isHeld('alpha'), true);
    assert.equal(locks.isHeld('beta'), false);
  });
});
