/**
 * The failover's refusals, decided before anything is touched: no state, healthy pair without
 * --force, unfit survivor (virtio disabled, crashed guest, not in COLO), survivor unreachable, and the
 * idempotent re-run. Each case asserts that no host was contacted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failoverVm, FailoverRefused, type FailoverOptions } from '../../../src/engine/failover.ts';
import type { Session } from '../../../src/engine/session.ts';
import {
  downHost,
  healthyWeb,
  obsHost,
  observation,
  state,
  vmOf,
  vmState,
  webSpec,
  healthyPrimary,
} from '../plan/plan-fixtures.ts';

/** A session that fails the test if anything tries to reach a host. */
const untouchable = new Proxy({} as Session, {
  get(_t, prop) {
    throw new Error(`the failover touched the session (${String(prop)}) before deciding`);
  },
});

const opts = (o: Partial<FailoverOptions> = {}): FailoverOptions => ({
  to: 'secondary',
  fencedByOperator: [],
  force: false,
  ...o,
});
const noFence = async () => {
  throw new Error('fence must not be called');
};

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(
      e instanceof FailoverRefused,
      `expected FailoverRefused, got ${(e as Error).name}: ${(e as Error).message}`,
    );
    return e.message;
  }
  assert.fail('the failover was not refused');
}

describe('failover decisions', () => {
  const spec = webSpec();
  const vm = vmOf(spec);

  test('no state: colo never deployed it', async () => {
    const msg = await refusal(failoverVm(untouchable, spec, vm, null, healthyWeb(spec), opts(), noFence, 0));
    assert.match(msg, /no record of deploying it/);
  });

  test('a healthy pair needs --force', async () => {
    const msg = await refusal(
      failoverVm(untouchable, spec, vm, state({ web: vmState() }), healthyWeb(spec), opts(), noFence, 0),
    );
    assert.match(msg, /the pair is healthy .* Pass --force/);
  });

  test('a secondary with a disabled virtio device is not promoted', async () => {
    const obs = healthyWeb(spec, {}, { virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] });
    delete obs.vms.web!.qemu.alpha; // the primary is gone
    const msg = await refusal(failoverVm(untouchable, spec, vm, state({ web: vmState() }), obs, opts(), noFence, 0));
    assert.match(
      msg,
      /not fit to take over: its virtio device \/machine\/peripheral\/nic-net0\/virtio-backend is stuck disabled/,
    );
    assert.match(msg, /pass --force/);
  });

  test('a secondary whose guest crashed is not promoted', async () => {
    const obs = healthyWeb(spec, {}, { consoleCrash: ['Kernel panic - not syncing: Fatal exception'] });
    delete obs.vms.web!.qemu.alpha;
    const msg = await refusal(failoverVm(untouchable, spec, vm, state({ web: vmState() }), obs, opts(), noFence, 0));
    assert.match(msg, /its guest crashed: "Kernel panic - not syncing: Fatal exception"/);
  });

  test('a secondary not in COLO holds no consistent checkpoint', async () => {
    const obs = healthyWeb(spec, {}, { coloMode: 'none', runStatus: 'inmigrate' });
    delete obs.vms.web!.qemu.alpha;
    const msg = await refusal(failoverVm(untouchable, spec, vm, state({ web: vmState() }), obs, opts(), noFence, 0));
    assert.match(msg, /it is not in COLO/);
  });

  test('the survivor host unreachable', async () => {
    const obs = observation([obsHost('alpha'), downHost('beta')], { web: [] });
    const msg = await refusal(failoverVm(untouchable, spec, vm, state({ web: vmState() }), obs, opts(), noFence, 0));
    assert.match(msg, /the survivor host beta is unreachable/);
  });

  test('already failed over: says so and changes nothing', async () => {
    const failedOver = vmState({
      primaryHost: 'beta',
      secondaryHost: 'alpha',
      primaryOrigin: 'promoted-secondary',
      status: 'degraded',
      lastFailover: { at: '2026-11-21T22:00:00.000Z', from: 'alpha', to: 'beta', durationMs: 600 },
    });
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [{ ...healthyPrimary(spec, vm, 'beta', 'alpha'), coloMode: 'none', migrateStatus: 'none' }],
    });
    const r = await failoverVm(
      untouchable,
      spec,
      vm,
      state({ web: failedOver }),
      obs,
      opts({ to: 'primary' }),
      noFence,
      0,
    );
    assert.equal(r.result.outcome, 'already-failed-over');
    assert.match(
      r.result.message,
      /already runs alone on beta \(failed over at 2026-11-21T22:00:00.000Z\); nothing to do/,
    );
    assert.deepEqual(r.vmState, failedOver);
  });
});
