/**
 * Unknown is never healthy: a health query that failed or timed out (query-status,
 * query-colo-status, x-query-virtio-status) is recorded with its reason, and then the side is unfit
 * for promotion, verify fails naming it, plan does not say "No changes" (the pair is blocked: colo
 * does not repair a pair on a guess either) and status does not say "protected". Fake observations
 * only; no host is contacted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuFromFacts } from '../../../src/plan/observe-replies.ts';
import { qmpObserveBatch, renderObserveQmp } from '../../../src/render/recipes/observe.ts';
import type { QmpCommand } from '../../../src/render/qmp-command.ts';
import { runQmpRecipe } from '../../../src/engine/run-recipe.ts';
import type { QmpClient } from '../../../src/qmp/client.ts';
import { failoverVm, FailoverRefused, type FailoverOptions } from '../../../src/engine/failover.ts';
import { verifyVm } from '../../../src/engine/verify.ts';
import type { Session } from '../../../src/engine/session.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
import { pairStatuses } from '../../../src/plan/pair-status.ts';
import { healthyWeb, plan, state, vmOf, vmState, webSpec } from '../plan/plan-fixtures.ts';

const spec = webSpec();
const vm = vmOf(spec);
const NIC = '/machine/peripheral/nic-net0/virtio-backend';

/** The secondary's x-query-virtio-status of its NIC timed out. */
const VIRTIO_UNKNOWN: Partial<ObservedQemu> = {
  healthUnknown: [{ query: 'x-query-virtio-status', detail: `${NIC}: timed out after 10000 ms` }],
};

describe('unknown is never healthy', () => {
  test('observation: a failed or timed-out health query is recorded with its reason, not read as fine', async () => {
    const batch = qmpObserveBatch(vm);
    const ok = (value: unknown) => ({ ok: true as const, value });
    const err = (m: string) => ({ ok: false as const, error: new Error(m) });
    // The observe recipe run by the real executor against a QEMU whose replies are these.
    const observe = async (reply: (c: QmpCommand) => ReturnType<typeof ok> | ReturnType<typeof err>) => {
      const client = { executeAllSettled: async (cs: QmpCommand[]) => cs.map(reply) } as unknown as QmpClient;
      const r = await runQmpRecipe(renderObserveQmp(vm, 'beta'), { either: client });
      return qemuFromFacts({ host: 'beta', alive: true }, vm, batch, r.facts, r.queryErrors);
    };
    const q = await observe((c) => {
      if (c.execute === 'x-query-virtio-status')
        return c.arguments?.['path'] === NIC ? err('timed out after 10000 ms') : ok({ disabled: false });
      if (c.execute === 'query-colo-status') return err('The command query-colo-status has not been found');
      return ok({});
    });
    assert.deepEqual(q.virtioDisabled, [], 'none is known to be disabled');
    assert.deepEqual(q.healthUnknown, [
      { query: 'query-colo-status', detail: 'The command query-colo-status has not been found' },
      { query: 'x-query-virtio-status', detail: `${NIC}: timed out after 10000 ms` },
    ]);
    const healthy = await observe(() => ok({}));
    assert.equal(healthy.healthUnknown, undefined, 'every query answered: nothing unknown');
  });

  const untouchable = new Proxy({} as Session, {
    get(_t, prop) {
      throw new Error(`the failover touched the session (${String(prop)}) before deciding`);
    },
  });
  const opts: FailoverOptions = { to: 'secondary', fencedByOperator: [], force: false };
  const noFence = async () => {
    throw new Error('fence must not be called');
  };

  test('failover: a secondary whose virtio status is unknown is not promoted (the primary is gone)', async () => {
    const obs = healthyWeb(spec, {}, VIRTIO_UNKNOWN);
    delete obs.vms.web!.qemu.alpha;
    await assert.rejects(
      failoverVm(untouchable, spec, vm, state({ web: vmState() }), obs, opts, noFence, 0),
      (e: unknown) => {
        assert.ok(e instanceof FailoverRefused, String(e));
        assert.match(
          e.message,
          /not fit to take over: its health is unknown \(x-query-virtio-status: .*nic-net0.*timed out after 10000 ms\)/,
        );
        assert.match(e.message, /pass --force/);
        return true;
      },
    );
  });

  test('failover --to primary: a primary whose COLO status could not be read is not taken out of COLO', async () => {
    const obs = healthyWeb(spec, {
      healthUnknown: [{ query: 'query-colo-status', detail: 'timed out after 10000 ms' }],
    });
    delete obs.vms.web!.qemu.beta;
    await assert.rejects(
      failoverVm(untouchable, spec, vm, state({ web: vmState() }), obs, { ...opts, to: 'primary' }, noFence, 0),
      /the primary on alpha is not fit to take over: its health is unknown \(query-colo-status: timed out/,
    );
  });

  /** A session whose primary QMP shows a checkpoint at once (verify waits for one). */
  const checkpointing = {
    qmp: async () => ({ eventSeq: 0, waitForEvent: async () => ({ seq: 1, event: 'X' }) }),
  } as unknown as Session;

  test('verify: an unknown virtio status fails the virtio check, naming the query and the reason', async () => {
    const st = state({ web: vmState() });
    const good = await verifyVm(checkpointing, spec, vm, st, healthyWeb(spec), { probe: 'none' });
    assert.equal(good.ok, true, JSON.stringify(good.checks));
    const v = await verifyVm(checkpointing, spec, vm, st, healthyWeb(spec, {}, VIRTIO_UNKNOWN), { probe: 'none' });
    assert.equal(v.ok, false);
    const virtio = v.checks.find((c) => c.name === 'virtio')!;
    assert.equal(virtio.ok, false);
    assert.match(virtio.detail, /virtio status unknown on the secondary: .*nic-net0.*timed out after 10000 ms/);
  });

  test('verify: an unknown COLO status fails the colo check', async () => {
    const obs = healthyWeb(spec, {}, { healthUnknown: [{ query: 'query-colo-status', detail: 'timed out' }] });
    const v = await verifyVm(checkpointing, spec, vm, state({ web: vmState() }), obs, { probe: 'none' });
    const c = v.checks.find((x) => x.name === 'colo')!;
    assert.equal(c.ok, false);
    assert.match(c.detail, /health of the secondary on beta is unknown \(query-colo-status: timed out\)/);
  });

  test('plan: a pair with an unknown health is blocked, never "No changes", and nothing is torn down', () => {
    const p = plan(spec, state({ web: vmState() }), healthyWeb(spec, {}, VIRTIO_UNKNOWN));
    assert.deepEqual(p.steps, []);
    assert.equal(p.blocked.length, 1);
    assert.match(
      p.blocked[0]!.reason,
      /the health of web on beta cannot be judged: x-query-virtio-status: .*timed out/,
    );
    const primaryUnknown = plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(spec, { healthUnknown: [{ query: 'query-status', detail: 'timed out' }] }),
    );
    assert.match(primaryUnknown.blocked[0]?.reason ?? '', /the health of web on alpha cannot be judged/);
  });

  test('status: not "protected" while a health query failed', () => {
    const [s] = pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec, {}, VIRTIO_UNKNOWN));
    assert.equal(s!.health, 'unknown');
    assert.match(s!.summary, /health unknown on beta: x-query-virtio-status/);
    const [h] = pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec));
    assert.equal(h!.health, 'protected');
  });
});
