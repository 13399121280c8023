/**
 * The failover's decisions (src/plan/failover-decision.ts), made before anything is touched: no
 * state, healthy pair without --force, unfit survivor (virtio disabled, crashed guest, not in COLO),
 * survivor unreachable, and the idempotent re-run; how an unreachable host is fenced; the state
 * after a promotion. Each refusal is also run through the executor (src/engine/failover.ts) with a
 * session that fails the test when touched: it refuses before contacting any host.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideFailover,
  FailoverRefused,
  fenceFailed,
  hostFencing,
  stateAfterFailover,
  type FailoverDecision,
} from '../../../src/plan/failover-decision.ts';
import { failoverVm, type FailoverOptions } from '../../../src/engine/failover.ts';
import type { Session } from '../../../src/engine/session.ts';
import type { ColoState } from '../../../src/plan/state-model.ts';
import type { Observation } from '../../../src/plan/observed.ts';
import { failoverMessage } from '../../../src/ui/views/failover/failover-message.ts';
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
} from './plan-fixtures.ts';

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

const spec = webSpec();
const vm = vmOf(spec);

function refusedWith(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(
      e instanceof FailoverRefused,
      `expected FailoverRefused, got ${(e as Error).name}: ${(e as Error).message}`,
    );
    return e.message;
  }
  assert.fail('the failover was not refused');
}

/** The decision's refusal; the executor refuses with the same message without touching the session. */
async function refusal(st: ColoState | null, obs: Observation, o = opts()): Promise<string> {
  const msg = refusedWith(() => decideFailover(vm, st, obs, o));
  await assert.rejects(failoverVm(untouchable, spec, vm, st, obs, o, noFence, 0), (e: Error) => {
    assert.ok(e instanceof FailoverRefused, `${e.name}: ${e.message}`);
    assert.equal(e.message, msg);
    return true;
  });
  return msg;
}

describe('failover decisions', () => {
  test('no state: colo never deployed it', async () => {
    const msg = await refusal(null, healthyWeb(spec));
    assert.match(msg, /no record of deploying it/);
  });

  test('a healthy pair needs --force', async () => {
    const msg = await refusal(state({ web: vmState() }), healthyWeb(spec));
    assert.match(msg, /the pair is healthy .* Pass --force/);
  });

  test('a healthy pair with --force: promote the secondary, stopping the primary over SSH', () => {
    const d = decideFailover(vm, state({ web: vmState() }), healthyWeb(spec), { to: 'secondary', force: true });
    assert.equal(d.action, 'promote');
    const p = d as Extract<FailoverDecision, { action: 'promote' }>;
    assert.deepEqual(
      [p.survivor, p.loser, p.fence],
      ['beta', 'alpha', { how: 'stop-qemu', graceSeconds: 1, hung: false }],
    );
  });

  /** A QEMU that runs but gave no QMP answer within the deadline (SIGSTOPped: process state T when `stopped`). */
  const hungQemu = (host: string, stopped: boolean) => ({
    host,
    alive: true,
    pid: 4242,
    qmpError: `QMP handshake [web on ${host}] timed out after 500 ms: no greeting`,
    hung: { deadlineMs: 500 },
    ...(stopped ? { stopped: true } : {}),
  });

  for (const stopped of [true, false]) {
    test(`a hung primary${stopped ? ' (stopped)' : ''} is no healthy pair: killed at once, no SIGTERM grace`, () => {
      const obs = healthyWeb(spec);
      obs.vms.web!.qemu.alpha = hungQemu('alpha', stopped);
      const d = decideFailover(vm, state({ web: vmState() }), obs, { to: 'secondary', force: false });
      assert.equal(d.action, 'promote');
      const p = d as Extract<FailoverDecision, { action: 'promote' }>;
      assert.deepEqual(
        [p.survivor, p.loser, p.fence],
        ['beta', 'alpha', { how: 'stop-qemu', graceSeconds: 0, hung: true }],
      );
    });
  }

  test('a hung secondary: failover --to primary kills it at once', () => {
    const obs = healthyWeb(spec);
    obs.vms.web!.qemu.beta = hungQemu('beta', true);
    const d = decideFailover(vm, state({ web: vmState() }), obs, { to: 'primary', force: false });
    const p = d as Extract<FailoverDecision, { action: 'promote' }>;
    assert.deepEqual(
      [p.survivor, p.loser, p.fence],
      ['alpha', 'beta', { how: 'stop-qemu', graceSeconds: 0, hung: true }],
    );
  });

  test('a hung survivor is not promoted, even with --force: refused as hung, with deadline and state', async () => {
    const obs = healthyWeb(spec);
    delete obs.vms.web!.qemu.alpha;
    obs.vms.web!.qemu.beta = hungQemu('beta', true);
    const msg = await refusal(state({ web: vmState() }), obs, opts({ force: true }));
    assert.match(
      msg,
      /the QEMU on beta is hung: it runs \(pid 4242\) but gave no QMP answer within 500 ms \(its process is stopped\)/,
    );
  });

  test('a secondary with a disabled virtio device is not promoted', async () => {
    const obs = healthyWeb(spec, {}, { virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] });
    delete obs.vms.web!.qemu.alpha; // the primary is gone
    const msg = await refusal(state({ web: vmState() }), obs);
    assert.match(
      msg,
      /not fit to take over: its virtio device \/machine\/peripheral\/nic-net0\/virtio-backend is stuck disabled/,
    );
    assert.match(msg, /pass --force/);
  });

  test('a secondary whose guest crashed is not promoted', async () => {
    const obs = healthyWeb(spec, {}, { consoleCrash: ['Kernel panic - not syncing: Fatal exception'] });
    delete obs.vms.web!.qemu.alpha;
    const msg = await refusal(state({ web: vmState() }), obs);
    assert.match(msg, /its guest crashed: "Kernel panic - not syncing: Fatal exception"/);
  });

  test('a secondary not in COLO holds no consistent checkpoint', async () => {
    const obs = healthyWeb(spec, {}, { coloMode: 'none', runStatus: 'inmigrate' });
    delete obs.vms.web!.qemu.alpha;
    const msg = await refusal(state({ web: vmState() }), obs);
    assert.match(msg, /it is not in COLO/);
  });

  test('the survivor host unreachable', async () => {
    const obs = observation([obsHost('alpha'), downHost('beta')], { web: [] });
    const msg = await refusal(state({ web: vmState() }), obs);
    assert.match(msg, /the survivor host beta is unreachable/);
  });

  test('the other host unreachable: it must be fenced before the promotion', () => {
    const obs = healthyWeb(spec);
    obs.hosts.alpha = downHost('alpha');
    delete obs.vms.web!.qemu.alpha;
    const d = decideFailover(vm, state({ web: vmState() }), obs, { to: 'secondary', force: false });
    assert.equal(d.action, 'promote');
    const fence = (d as Extract<FailoverDecision, { action: 'promote' }>).fence;
    assert.equal(fence.how, 'fence-host');
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
    const d = decideFailover(vm, state({ web: failedOver }), obs, { to: 'primary', force: false });
    assert.equal(d.action, 'none');
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
      failoverMessage(r.result),
      /already runs alone on beta \(failed over at 2026-11-21T22:00:00.000Z\); nothing to do/,
    );
    assert.deepEqual(r.vmState, failedOver);
  });
});

describe('a failover whose state write was lost (found by test/e2e/faults.test.ts)', () => {
  // colo killed right after the promotion, or the state directory full: the state still says COLO
  const promoted = (o = {}) => {
    const obs = healthyWeb(spec, {}, { coloMode: 'none', migrateStatus: 'completed', runStatus: 'running', ...o });
    delete obs.vms.web!.qemu.alpha; // the primary was fenced: its host answers, no QEMU
    return obs;
  };

  test('the promoted secondary is recognised and the new roles recorded, nothing touched', async () => {
    const d = decideFailover(vm, state({ web: vmState() }), promoted(), { to: 'secondary', force: false });
    assert.equal(d.action, 'none');
    assert.equal((d as Extract<FailoverDecision, { action: 'none' }>).unrecorded, true);
    const now = () => new Date('2026-12-03T12:00:00.000Z');
    const r = await failoverVm(untouchable, spec, vm, state({ web: vmState() }), promoted(), opts({ now }), noFence, 0);
    assert.equal(r.result.outcome, 'already-failed-over');
    assert.match(failoverMessage(r.result), /already runs alone on beta .*state write was lost; recorded now/);
    assert.deepEqual(
      { ...r.vmState, started: undefined },
      {
        ...stateAfterFailover(
          vmState(),
          'secondary',
          { survivor: 'beta', loser: 'alpha' },
          {
            at: '2026-12-03T12:00:00.000Z',
            from: 'alpha',
            to: 'beta',
            durationMs: 0,
          },
        ),
        started: undefined,
      },
    );
    assert.equal(r.vmState.primaryHost, 'beta');
  });

  test('not when the secondary only waits for a migration, or the primary host does not answer', () => {
    const waiting = promoted({ runStatus: 'inmigrate' });
    assert.match(
      refusedWith(() => decideFailover(vm, state({ web: vmState() }), waiting, opts())),
      /not in COLO/,
    );
    const silent = promoted();
    silent.hosts.alpha = downHost('alpha');
    const d = decideFailover(vm, state({ web: vmState() }), silent, { to: 'secondary', force: true });
    assert.equal(d.action, 'promote', 'an unanswered primary host must be fenced, not assumed gone');
  });
});

describe('failed over by another colo (another state file)', () => {
  const promotedElsewhere = (): Observation => {
    const obs = healthyWeb(spec, {}, { coloMode: 'none', runStatus: 'running' });
    delete obs.vms.web!.qemu.alpha; // the other colo fenced the primary
    return obs;
  };

  test('the state says protected, the secondary runs alone: nothing to do; the state learns the roles', async () => {
    const st = state({ web: vmState() });
    const d = decideFailover(vm, st, promotedElsewhere(), { to: 'secondary', force: false });
    assert.equal(d.action, 'none');
    assert.equal((d as Extract<FailoverDecision, { action: 'none' }>).unrecorded, true);
    const now = () => new Date('2026-12-01T10:00:00.000Z');
    const r = await failoverVm(untouchable, spec, vm, st, promotedElsewhere(), opts({ now }), noFence, 0);
    assert.equal(r.result.outcome, 'already-failed-over');
    assert.match(failoverMessage(r.result), /already runs alone on beta/);
    assert.equal(r.vmState.primaryHost, 'beta');
    assert.equal(r.vmState.secondaryHost, 'alpha');
    assert.equal(r.vmState.status, 'degraded');
    assert.equal(r.vmState.lastFailover?.at, '2026-12-01T10:00:00.000Z');
    const recorded = r.result.outcome === 'already-failed-over' && r.result.recordedNow;
    assert.equal(recorded, true, 'the state is to be written');
  });

  test('but not while the other side still runs: that is no finished failover', async () => {
    const obs = healthyWeb(spec, {}, { coloMode: 'none', runStatus: 'running' });
    const msg = await refusal(state({ web: vmState() }), obs);
    assert.match(msg, /it is not in COLO/);
  });
});

describe('fencing an unreachable host', () => {
  const fence = { command: ['ipmitool', 'power', 'off'], timeoutMs: 5000 };

  test('the operator confirmed it: nothing to run', () => {
    assert.deepEqual(hostFencing('alpha', spec.hosts.alpha, ['alpha'], 'connect ECONNREFUSED'), { how: 'operator' });
  });

  test('its fence command', () => {
    assert.deepEqual(hostFencing('alpha', { ...spec.hosts.alpha!, fence }, [], 'connect ECONNREFUSED'), {
      how: 'fence-command',
      ...fence,
    });
  });

  test('neither: refused, naming --i-have-fenced', () => {
    const msg = refusedWith(() => hostFencing('alpha', spec.hosts.alpha, [], 'connect ECONNREFUSED'));
    assert.match(msg, /cannot confirm that alpha no longer runs the VM: it is unreachable \(connect ECONNREFUSED\)/);
    assert.match(msg, /--i-have-fenced alpha$/);
  });

  test('a fence command that did not exit 0', () => {
    assert.match(
      fenceFailed('alpha', fence.command, { code: 3, output: 'no power controller' }).message,
      /^fencing alpha failed: ipmitool exited 3: no power controller\. Not promoting/,
    );
    assert.match(fenceFailed('alpha', fence.command, { code: null, output: '' }).message, /exited without a code\. /);
  });
});

describe('the state after a promotion', () => {
  const record = { at: '2026-11-21T22:00:00.000Z', from: 'alpha', to: 'beta', durationMs: 600 };
  const started = {
    alpha: { role: 'primary' as const, argvHash: 'a', pid: 11, at: record.at },
    beta: { role: 'secondary' as const, argvHash: 'b', pid: 22, at: record.at },
  };

  test('to the secondary: the roles swap, the fenced QEMU is forgotten, degraded', () => {
    const next = stateAfterFailover(vmState({ started }), 'secondary', { survivor: 'beta', loser: 'alpha' }, record);
    assert.equal(next.primaryHost, 'beta');
    assert.equal(next.secondaryHost, 'alpha');
    assert.equal(next.primaryOrigin, 'promoted-secondary');
    assert.equal(next.status, 'degraded');
    assert.deepEqual(next.lastFailover, record);
    assert.deepEqual(Object.keys(next.started), ['beta']);
  });

  test('to the primary: the roles stay', () => {
    const before = vmState({ started });
    const next = stateAfterFailover(before, 'primary', { survivor: 'alpha', loser: 'beta' }, record);
    assert.equal(next.primaryHost, before.primaryHost);
    assert.equal(next.primaryOrigin, before.primaryOrigin);
    assert.equal(next.status, 'degraded');
    assert.deepEqual(Object.keys(next.started), ['alpha']);
    assert.deepEqual(Object.keys(before.started), ['alpha', 'beta'], 'the state given is left as it was');
  });
});
