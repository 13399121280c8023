/**
 * The pure planner (src/plan/plan-pairs.ts): spec + state + observation -> ordered steps, drift and
 * blocked pairs. Every scenario asserts the exact steps (action, kind, host, address, in order).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planPair, primaryFindings, rolesFor, secondaryFindings } from '../../../src/plan/plan-pairs.ts';
import { pairExpectation } from '../../../src/plan/expectation.ts';
import { summarizePlan } from '../../../src/plan/plan-model.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
import {
  LINEAGE,
  NOW,
  SPEC_FILE,
  downHost,
  healthyPrimary,
  healthySecondary,
  healthyWeb,
  obsHost,
  observation,
  plan,
  secondaryArgv,
  state,
  stepLines,
  vmOf,
  startedAsRunning,
  vmState,
  webSpec,
} from './plan-fixtures.ts';

const FULL_CREATE = [
  'create primary-start alpha vm.web.primary',
  'create secondary-images beta vm.web.secondary.images',
  'create secondary-start beta vm.web.secondary.qemu',
  'create colo-start alpha vm.web.colo',
];

/** The five steps of re-protection when the secondary runs but is unfit (COLO torn down first). */
const REPROTECT_RUNNING_SECONDARY = [
  'update primary-leave-colo alpha vm.web.primary',
  'replace secondary-stop beta vm.web.secondary',
  'create secondary-images beta vm.web.secondary.images',
  'create secondary-start beta vm.web.secondary.qemu',
  'create colo-start alpha vm.web.colo',
];

const gone = (host: string): ObservedQemu => ({ host, alive: false });

describe('planAll: nothing deployed', () => {
  test('full create; host-prepare only for the host whose work dir is missing', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
      web: [gone('alpha'), gone('beta')],
    });
    const p = plan(spec, null, obs);
    assert.deepEqual(stepLines(p), ['create host-prepare beta host.beta', ...FULL_CREATE]);
    assert.deepEqual(p.drift, []);
    assert.deepEqual(p.blocked, []);
    assert.deepEqual(p.warnings, []);
    const hp = p.steps[0]!;
    assert.equal(hp.vm, undefined);
    assert.equal(hp.reason, 'work directory /var/lib/colo');
    for (const s of p.steps.slice(1)) assert.equal(s.vm, 'web');
    assert.equal(
      p.steps.at(-1)!.reason,
      'resync 1 disk over NBD, wire replication and the COLO proxy, start checkpointing',
    );
    assert.deepEqual(summarizePlan(p), { add: 5, change: 0, destroy: 0 });
  });

  test('no host-prepare when both work dirs exist', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      null,
      observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')] }),
    );
    assert.deepEqual(stepLines(p), FULL_CREATE);
  });

  test('plan header: versions, spec, state, roles and host facts', () => {
    const spec = webSpec();
    const obs = observation(
      [obsHost('alpha', { kvm: true }), obsHost('beta', { qemuVersion: undefined, qemuError: 'not found' })],
      { web: [gone('alpha'), gone('beta')] },
    );
    const p = plan(spec, null, obs);
    assert.equal(p.formatVersion, '1.0');
    assert.equal(p.coloVersion, '0.1.0-test');
    assert.equal(p.mode, 'normal');
    assert.equal(p.createdAt, NOW);
    assert.equal(p.specFile, SPEC_FILE);
    assert.equal(p.specHash, 'c0ffee');
    assert.equal(p.stateLineage, null);
    assert.equal(p.stateSerial, 0);
    assert.deepEqual(p.roles, { web: { primary: 'alpha', secondary: 'beta', primaryOrigin: 'primary' } });
    // the version text is not part of the facts apply renders from
    assert.deepEqual(p.hostFacts, {
      alpha: { qemuVersion: { major: 7, minor: 2, micro: 22 }, kvm: true },
      beta: { kvm: false },
    });
  });

  test('two VMs on the same hosts: each host prepared once, before the first pair that needs it', () => {
    const spec = webSpec({ withApi: true });
    const obs = observation([obsHost('alpha', { workDirExists: false }), obsHost('beta', { workDirExists: false })], {
      web: [gone('alpha'), gone('beta')],
      api: [gone('alpha'), gone('beta')],
    });
    const p = plan(spec, null, obs);
    assert.deepEqual(stepLines(p), [
      'create host-prepare alpha host.alpha',
      'create host-prepare beta host.beta',
      ...FULL_CREATE,
      'create primary-start alpha vm.api.primary',
      'create secondary-images beta vm.api.secondary.images',
      'create secondary-start beta vm.api.secondary.qemu',
      'create colo-start alpha vm.api.colo',
    ]);
    assert.equal(
      p.steps.at(-1)!.reason,
      'resync 2 disks over NBD, wire replication and the COLO proxy, start checkpointing',
    );
  });

  test('secondary host unreachable: nothing can start, the pair is blocked', () => {
    const spec = webSpec();
    const p = plan(spec, null, observation([obsHost('alpha'), downHost('beta')], { web: [gone('alpha')] }));
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'secondary host beta is unreachable (connect ECONNREFUSED 127.0.0.12:2222); a new pair cannot be started',
      },
    ]);
    assert.deepEqual(p.drift, [], 'nothing was deployed: nothing drifted');
  });
});

describe('planAll: a work directory that is not private', () => {
  test('a healthy pair: the one step makes the work directory private again', () => {
    const spec = webSpec();
    const obs = healthyWeb(spec);
    obs.hosts.beta = { ...obs.hosts.beta!, workDirUnsafe: 'owned by uid 1000, not the SSH user (uid 0), mode 0755' };
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(
      p.steps.map((s) => [s.address, s.action, s.kind]),
      [['host.beta', 'update', 'host-prepare']],
    );
    assert.match(
      p.steps[0]!.reason,
      /not private \(owned by uid 1000.*mode 0755\): make it 0700, owned by the SSH user/,
    );
    assert.deepEqual(plan(spec, state({ web: vmState() }), obs, 'refresh-only').steps, []);
  });

  test('a pair with steps: the host is prepared once, first', () => {
    const spec = webSpec();
    const obs = healthyWeb(spec);
    obs.hosts.alpha = { ...obs.hosts.alpha!, workDirUnsafe: 'mode 0775' };
    delete obs.vms.web!.qemu.beta;
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.equal(p.steps.filter((s) => s.kind === 'host-prepare').length, 1);
    assert.deepEqual(p.steps[0] && [p.steps[0].address, p.steps[0].action], ['host.alpha', 'update']);
  });
});

describe('planAll: healthy pair', () => {
  test('no steps, no drift', () => {
    const spec = webSpec();
    const p = plan(spec, state({ web: vmState() }), healthyWeb(spec));
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.drift, []);
    assert.deepEqual(p.blocked, []);
    assert.deepEqual(p.warnings, []);
    assert.equal(p.stateLineage, LINEAGE);
    assert.equal(p.stateSerial, 7);
    assert.deepEqual(summarizePlan(p), { add: 0, change: 0, destroy: 0 });
  });

  test('healthy without a state file: still nothing to do (the hosts are the source of truth)', () => {
    const spec = webSpec();
    assert.deepEqual(plan(spec, null, healthyWeb(spec)).steps, []);
  });

  test('a missing work dir on a healthy pair plans no host-prepare', () => {
    const spec = webSpec();
    const obs = healthyWeb(spec);
    obs.hosts['beta']!.workDirExists = false;
    assert.deepEqual(plan(spec, state({ web: vmState() }), obs).steps, []);
  });
});

describe('planAll: checkpoint parameters in place', () => {
  const APPLIED = { intervalMs: 2000, compareTimeoutMs: 3000, expiredScanCycleMs: 3000, maxQueueSize: 1024 };

  test('checkpoint interval changed by hand: one update step with before/after, reported as drift', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState({ appliedCheckpoint: APPLIED }) }),
      healthyWeb(spec, { migrateParams: { 'x-checkpoint-delay': 5000, 'max-bandwidth': 1073741824 } }),
    );
    assert.deepEqual(stepLines(p), ['update checkpoint-update alpha vm.web.checkpoint']);
    const step = p.steps[0]!;
    assert.equal(step.vm, 'web');
    assert.deepEqual(step.changes, [{ path: 'checkpoint.interval', before: 5000, after: 2000 }]);
    assert.equal(step.reason, "checkpoint policy changed outside colo; the spec's is applied in place, no restart");
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web.checkpoint',
        vm: 'web',
        host: 'alpha',
        description: 'checkpoint/compare parameters differ from the spec: checkpoint.interval is 5000',
      },
    ]);
    assert.deepEqual(summarizePlan(p), { add: 0, change: 1, destroy: 0 });
  });

  test('checkpoint interval changed in the spec: the same in-place update, a spec change and not drift', () => {
    const before = webSpec();
    const after = webSpec({ interval: '3s' });
    const p = plan(after, state({ web: vmState({ appliedCheckpoint: APPLIED }) }), healthyWeb(before));
    assert.deepEqual(stepLines(p), ['update checkpoint-update alpha vm.web.checkpoint']);
    assert.deepEqual(p.steps[0]!.changes, [{ path: 'checkpoint.interval', before: 2000, after: 3000 }]);
    assert.equal(p.steps[0]!.reason, 'the spec changed the checkpoint policy; applied in place, no restart');
    assert.deepEqual(p.drift, []);
  });

  test('the spec changed and the host was changed too: drift (the running value is not what colo applied)', () => {
    const p = plan(
      webSpec({ interval: '3s' }),
      state({ web: vmState({ appliedCheckpoint: APPLIED }) }),
      healthyWeb(webSpec(), { migrateParams: { 'x-checkpoint-delay': 5000 } }),
    );
    assert.deepEqual(p.steps[0]!.changes, [{ path: 'checkpoint.interval', before: 5000, after: 3000 }]);
    assert.equal(p.drift.length, 1);
  });

  test('a state without the applied policy (written by an older colo): a difference counts as drift', () => {
    const p = plan(webSpec({ interval: '3s' }), state({ web: vmState() }), healthyWeb(webSpec()));
    assert.deepEqual(
      p.steps.map((s) => s.kind),
      ['checkpoint-update'],
    );
    assert.equal(p.drift.length, 1);
  });

  test('compare_timeout changed by hand: update step naming the spec field and the colo-compare object', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(spec, {
        compareProps: { 'comp-net0': { compare_timeout: 5000, expired_scan_cycle: 3000, max_queue_size: 1024 } },
      }),
    );
    assert.deepEqual(stepLines(p), ['update checkpoint-update alpha vm.web.checkpoint']);
    assert.deepEqual(p.steps[0]!.changes, [
      { path: 'checkpoint.compareTimeout (comp-net0)', before: 5000, after: 3000 },
    ]);
    assert.equal(p.drift.length, 1);
    assert.match(p.drift[0]!.description, /checkpoint\.compareTimeout \(comp-net0\) is 5000/);
  });

  test('interval and compare tuning changed together: one step, every change listed', () => {
    const spec = webSpec({ interval: '1s', compareTimeout: '2s' });
    const p = plan(spec, state({ web: vmState() }), healthyWeb(webSpec()));
    assert.deepEqual(stepLines(p), ['update checkpoint-update alpha vm.web.checkpoint']);
    assert.deepEqual(p.steps[0]!.changes, [
      { path: 'checkpoint.interval', before: 2000, after: 1000 },
      { path: 'checkpoint.compareTimeout (comp-net0)', before: 3000, after: 2000 },
    ]);
  });

  test('every colo-compare property maps to its spec field', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(spec, {
        compareProps: { 'comp-net0': { compare_timeout: 1, expired_scan_cycle: 2, max_queue_size: 3 } },
      }),
    );
    assert.deepEqual(p.steps[0]!.changes, [
      { path: 'checkpoint.compareTimeout (comp-net0)', before: 1, after: 3000 },
      { path: 'checkpoint.expiredScanCycle (comp-net0)', before: 2, after: 3000 },
      { path: 'checkpoint.maxQueueSize (comp-net0)', before: 3, after: 1024 },
    ]);
  });

  test('a colo-compare property QEMU did not report is not a change', () => {
    const spec = webSpec();
    const p = plan(spec, state({ web: vmState() }), healthyWeb(spec, { compareProps: {} }));
    assert.deepEqual(p.steps, []);
  });
});

describe('planAll: the secondary is gone or unreachable', () => {
  test('secondary QEMU gone, its host reachable: leave COLO on the primary, then re-protect', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta'), gone('beta')],
    });
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(stepLines(p), [
      'update primary-leave-colo alpha vm.web.primary',
      'create secondary-images beta vm.web.secondary.images',
      'create secondary-start beta vm.web.secondary.qemu',
      'create colo-start alpha vm.web.colo',
    ]);
    assert.equal(p.steps[0]!.reason, 'leave COLO on the primary so it runs alone: its secondary on beta is gone');
    assert.deepEqual(p.drift, [
      { address: 'vm.web.secondary', vm: 'web', host: 'beta', description: 'the secondary QEMU on beta is gone' },
    ]);
    assert.deepEqual(p.blocked, []);
    assert.deepEqual(summarizePlan(p), { add: 3, change: 1, destroy: 0 });
  });

  test('secondary host unreachable while the primary is in COLO: blocked, hint failover to the primary', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), downHost('beta')], {
      web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta')],
    });
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'secondary host beta is unreachable (connect ECONNREFUSED 127.0.0.12:2222); the primary on alpha ' +
          'still waits for it in COLO and holds its output',
        hint: 'colo failover web --to primary',
      },
    ]);
    assert.deepEqual(p.drift, [
      { address: 'vm.web.secondary', vm: 'web', host: 'beta', description: 'secondary host beta is unreachable' },
    ]);
  });

  test('secondary host unreachable after a failover to the primary: blocked, no hint, runs unprotected', () => {
    const spec = webSpec();
    const primary = healthyPrimary(spec, vmOf(spec), 'alpha', 'beta', {
      coloMode: 'none',
      coloReason: 'request',
      migrateStatus: 'completed',
      objects: ['type'],
      quorumChildren: { 'colo-disk0': ['#block229'] },
    });
    const p = plan(
      spec,
      state({ web: vmState({ status: 'degraded' }) }),
      observation([obsHost('alpha'), downHost('beta')], { web: [primary] }),
    );
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'secondary host beta is unreachable (connect ECONNREFUSED 127.0.0.12:2222); the pair stays degraded: ' +
          'web runs unprotected on alpha',
      },
    ]);
  });

  test('degraded after failover to the primary, secondary host back: re-protect without leave-colo', () => {
    const spec = webSpec();
    const primary = healthyPrimary(spec, vmOf(spec), 'alpha', 'beta', {
      coloMode: 'none',
      coloReason: 'request',
      migrateStatus: 'completed',
      objects: ['type'],
      quorumChildren: { 'colo-disk0': ['#block229'] },
    });
    const p = plan(
      spec,
      state({ web: vmState({ status: 'degraded' }) }),
      observation([obsHost('alpha'), obsHost('beta')], { web: [primary, gone('beta')] }),
    );
    assert.deepEqual(stepLines(p), FULL_CREATE.slice(1));
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web.secondary',
        vm: 'web',
        host: 'beta',
        description: 'the secondary QEMU on beta is gone (pair degraded since the last failover)',
      },
    ]);
  });

  test('primary alone without a state and without COLO (e.g. a crashed first apply): secondary built, no drift', () => {
    const spec = webSpec();
    const primary = healthyPrimary(spec, vmOf(spec), 'alpha', 'beta', {
      coloMode: 'none',
      migrateStatus: 'none',
      objects: ['type'],
      quorumChildren: { 'colo-disk0': ['#block229'] },
    });
    const p = plan(spec, null, observation([obsHost('alpha'), obsHost('beta')], { web: [primary, gone('beta')] }));
    assert.deepEqual(stepLines(p), FULL_CREATE.slice(1));
    assert.deepEqual(p.drift, []);
  });

  test('primary not in COLO but proxy objects left behind: leave-colo removes them first', () => {
    const spec = webSpec();
    const primary = healthyPrimary(spec, vmOf(spec), 'alpha', 'beta', { coloMode: 'none', migrateStatus: 'failed' });
    const p = plan(
      spec,
      state({ web: vmState() }),
      observation([obsHost('alpha'), obsHost('beta')], { web: [primary, gone('beta')] }),
    );
    assert.deepEqual(stepLines(p), ['update primary-leave-colo alpha vm.web.primary', ...FULL_CREATE.slice(1)]);
  });

  test('the secondary host lost its work dir: prepared again before re-protection', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
      web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta'), gone('beta')],
    });
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(stepLines(p), [
      'create host-prepare beta host.beta',
      'update primary-leave-colo alpha vm.web.primary',
      ...FULL_CREATE.slice(1),
    ]);
  });
});

describe('planAll: the primary is gone or unreachable', () => {
  test('primary QEMU gone while the secondary runs: blocked, hint failover to the secondary, no steps', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
    });
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'the primary QEMU on alpha is gone; the VM lives on in the secondary on beta. colo does not promote a ' +
          'secondary on its own',
        hint: 'colo failover web --to secondary',
      },
    ]);
    assert.deepEqual(p.drift, [
      { address: 'vm.web.primary', vm: 'web', host: 'alpha', description: 'the primary QEMU on alpha is gone' },
    ]);
  });

  test('colo stopped the primary to replace it and was killed: the replacement carries on (fault matrix)', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
    });
    const started = vmState();
    const { alpha: _stopped, ...rest } = started.started;
    // what primary-stop wrote before colo died: applying, the primary no longer recorded as started
    const p = plan(spec, state({ web: vmState({ status: 'applying', started: rest }) }), obs);
    assert.deepEqual(p.blocked, []);
    assert.deepEqual(stepLines(p), [
      'delete secondary-stop beta vm.web.secondary',
      'create primary-start alpha vm.web.primary',
      ...FULL_CREATE.slice(1),
    ]);
    assert.match(p.drift.map((d) => d.description).join('\n'), /colo stopped the primary on alpha to replace it/);
    // a primary that died on its own is still recorded as started: blocked, failover is the user's call
    const died = plan(spec, state({ web: vmState({ status: 'applying' }) }), obs);
    assert.equal(died.blocked[0]?.hint, 'colo failover web --to secondary');
  });

  test('primary gone, secondary in COLO, no state file: still never promoted silently', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
    });
    const p = plan(spec, null, obs);
    assert.deepEqual(p.steps, []);
    assert.equal(p.blocked[0]?.hint, 'colo failover web --to secondary');
  });

  test('primary host unreachable while the secondary runs: blocked, hint failover to the secondary', () => {
    const spec = webSpec();
    const obs = observation([downHost('alpha', 'connect ETIMEDOUT 127.0.0.11:2222'), obsHost('beta')], {
      web: [healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
    });
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'primary host alpha is unreachable (connect ETIMEDOUT 127.0.0.11:2222); the secondary on beta still runs',
        hint: 'if alpha is down, run: colo failover web --to secondary',
      },
    ]);
    // refresh-only must not say "No changes" while a host is down
    assert.deepEqual(p.drift, [
      { address: 'vm.web.primary', vm: 'web', host: 'alpha', description: 'primary host alpha is unreachable' },
    ]);
  });

  test('both hosts unreachable: blocked without a hint', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      observation([downHost('alpha', 'timeout'), downHost('beta', 'timeout')], { web: [] }),
    );
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [{ vm: 'web', reason: 'primary host alpha is unreachable (timeout)' }]);
    assert.deepEqual(p.drift, [
      { address: 'vm.web.primary', vm: 'web', host: 'alpha', description: 'primary host alpha is unreachable' },
    ]);
  });

  test('primary host never observed: "not observed"', () => {
    const spec = webSpec();
    const p = plan(spec, null, observation([obsHost('beta')], { web: [] }));
    assert.deepEqual(p.blocked, [{ vm: 'web', reason: 'primary host alpha is unreachable (not observed)' }]);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.drift, [], 'nothing deployed: nothing drifted');
  });

  test('both QEMUs gone after a host reboot: started again from the disk image, with drift', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')] }),
    );
    assert.deepEqual(stepLines(p), FULL_CREATE);
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web',
        vm: 'web',
        description: 'both QEMUs of web are gone; the VM will be started again from its disk image on alpha',
      },
    ]);
  });

  test('a leftover secondary that never entered COLO, nothing deployed: stopped, then a full create', () => {
    const spec = webSpec();
    const sec = healthySecondary(spec, vmOf(spec), 'beta', 'alpha', { coloMode: 'none', runStatus: 'inmigrate' });
    const p = plan(spec, null, observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), sec] }));
    assert.deepEqual(stepLines(p), ['delete secondary-stop beta vm.web.secondary', ...FULL_CREATE]);
    assert.equal(p.steps[0]!.reason, 'a leftover secondary QEMU runs without a primary');
  });

  test('both gone after a failover: the promoted disk is not restarted from the original image', () => {
    const spec = webSpec();
    const st = state({
      web: vmState({
        primaryHost: 'beta',
        secondaryHost: 'alpha',
        primaryOrigin: 'promoted-secondary',
        status: 'degraded',
      }),
    });
    const p = plan(spec, st, observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')] }));
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'both QEMUs of web are gone and the latest disk is the promoted copy on beta; colo will not restart ' +
          'it from the original image',
      },
    ]);
    assert.deepEqual(p.drift, [{ address: 'vm.web', vm: 'web', description: 'both QEMUs of web are gone' }]);
  });

  test('primary gone and the secondary host unreachable: blocked, the lost primary reported as drift', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      observation([obsHost('alpha'), downHost('beta')], { web: [gone('alpha')] }),
    );
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'secondary host beta is unreachable (connect ECONNREFUSED 127.0.0.12:2222); a new pair cannot be started',
      },
    ]);
    assert.deepEqual(p.drift, [
      { address: 'vm.web.primary', vm: 'web', host: 'alpha', description: 'the primary QEMU on alpha is gone' },
      { address: 'vm.web.secondary', vm: 'web', host: 'beta', description: 'secondary host beta is unreachable' },
    ]);
  });
});

describe('planAll: COLO machinery damaged, both QEMUs running', () => {
  const cases: { name: string; p?: Partial<ObservedQemu>; s?: Partial<ObservedQemu>; problems: string[] }[] = [
    {
      name: 'proxy object missing',
      p: { objects: ['type', 'redire0-net0', 'redire1-net0', 'iothread-net0', 'comp-net0'] },
      problems: ['proxy object m0-net0 is missing on the primary (deleted outside colo?)'],
    },
    {
      name: 'replication child missing from the quorum',
      p: { quorumChildren: { 'colo-disk0': ['#block229'] } },
      problems: ['replication child replication-disk0 is not in quorum colo-disk0 on the primary'],
    },
    {
      name: 'quorum not found at all',
      p: { quorumChildren: {} },
      problems: ['replication child replication-disk0 is not in quorum colo-disk0 on the primary'],
    },
    { name: 'NBD export missing', s: { nbdExports: [] }, problems: ['NBD export disk0 is missing on the secondary'] },
    {
      name: 'secondary filter object missing',
      s: { objects: ['type', 'f1-net0', 'rew-net0'] },
      problems: ['filter object f2-net0 is missing on the secondary (deleted outside colo?)'],
    },
    {
      name: 'secondary virtio device disabled',
      s: { virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] },
      problems: [
        'secondary virtio device /machine/peripheral/nic-net0/virtio-backend is stuck disabled (QEMU virtio ' +
          'flag bug): its guest neither sends nor receives',
      ],
    },
    {
      name: 'secondary console crash',
      s: {
        consoleCrash: [
          '[   41.512345] general protection fault, probably for non-canonical address 0xdead00000000012a',
        ],
      },
      problems: [
        'the secondary\'s guest crashed: "[   41.512345] general protection fault, probably for non-canonical ' +
          'address 0xdead00000000012a"',
      ],
    },
    {
      name: 'COLO exited with an error (migration failed)',
      p: { coloMode: 'none', coloReason: 'error', migrateStatus: 'failed' },
      s: { coloMode: 'none', coloReason: 'error' },
      problems: [
        'COLO is not running on the primary (mode none, last exit reason error)',
        'migration status is failed, not colo',
        'the secondary is not in COLO (mode none, last exit reason error)',
      ],
    },
  ];
  for (const c of cases) {
    test(`${c.name}: drift named, COLO left, secondary replaced, re-protected`, () => {
      const spec = webSpec();
      const p = plan(spec, state({ web: vmState() }), healthyWeb(spec, c.p, c.s));
      assert.deepEqual(stepLines(p), REPROTECT_RUNNING_SECONDARY);
      assert.deepEqual(
        p.drift,
        c.problems.map((description) => ({ address: 'vm.web', vm: 'web', description })),
      );
      const more = c.problems.length > 1 ? ` (and ${c.problems.length - 1} more)` : '';
      assert.equal(p.steps[1]!.reason, `re-protect: ${c.problems[0]}${more}`);
      assert.equal(
        p.steps[0]!.reason,
        `leave COLO on the primary so it runs alone: re-protect: ${c.problems[0]}${more}`,
      );
      assert.deepEqual(p.steps[1]!.changes, []);
      assert.deepEqual(p.blocked, []);
    });
  }

  for (const side of ['primary', 'secondary'] as const) {
    test(`${side} QMP does not answer: the pair is blocked, nothing is torn down on a guess`, () => {
      const spec = webSpec();
      const err = { qmpError: 'QMP handshake timed out after 10000 ms: no greeting' };
      const p = plan(
        spec,
        state({ web: vmState() }),
        healthyWeb(spec, side === 'primary' ? err : {}, side === 'secondary' ? err : {}),
      );
      assert.deepEqual(p.steps, []);
      assert.equal(p.blocked.length, 1);
      const host = side === 'primary' ? 'alpha' : 'beta';
      assert.match(
        p.blocked[0]!.reason,
        new RegExp(`the QEMU of web on ${host} runs .* but its QMP socket does not answer: QMP handshake timed out`),
      );
      assert.match(p.blocked[0]!.reason, /one QMP client at a time/);
      assert.match(p.blocked[0]!.hint ?? '', side === 'primary' ? /--to secondary/ : /--to primary/);
    });
  }

  test('a hung secondary (no QMP answer in the deadline, process stopped): blocked, the reason says hung', () => {
    const spec = webSpec();
    const hung = {
      qmpError: 'QMP handshake [web on beta] timed out after 500 ms: no greeting',
      hung: { deadlineMs: 500 },
      stopped: true,
    };
    const p = plan(spec, state({ web: vmState() }), healthyWeb(spec, {}, hung));
    assert.deepEqual(p.steps, []);
    assert.match(
      p.blocked[0]!.reason,
      /the QEMU of web on beta is hung: it runs \(pid \d+\) but gave no QMP answer within 500 ms \(its process/,
    );
    assert.match(p.blocked[0]!.hint ?? '', /colo failover web --to primary/);
  });

  test('COLO exited cleanly (migration completed) with the proxy and replication removed: no leave-colo', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(
        spec,
        {
          coloMode: 'none',
          coloReason: 'request',
          migrateStatus: 'completed',
          objects: ['type'],
          quorumChildren: { 'colo-disk0': ['#block229'] },
        },
        { coloMode: 'none', coloReason: 'request' },
      ),
    );
    assert.deepEqual(stepLines(p), REPROTECT_RUNNING_SECONDARY.slice(1));
    assert.deepEqual(
      p.drift.map((d) => d.description),
      [
        'COLO is not running on the primary (mode none, last exit reason request)',
        'migration status is completed, not colo',
        'proxy object m0-net0 is missing on the primary (deleted outside colo?)',
        'proxy object redire0-net0 is missing on the primary (deleted outside colo?)',
        'proxy object redire1-net0 is missing on the primary (deleted outside colo?)',
        'proxy object iothread-net0 is missing on the primary (deleted outside colo?)',
        'proxy object comp-net0 is missing on the primary (deleted outside colo?)',
        'replication child replication-disk0 is not in quorum colo-disk0 on the primary',
        'the secondary is not in COLO (mode none, last exit reason request)',
      ],
    );
  });

  test('checkpoint drift is not planned while the pair needs re-protection (colo-start sets it again)', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(spec, { migrateParams: { 'x-checkpoint-delay': 9000 } }, { nbdExports: [] }),
    );
    assert.deepEqual(stepLines(p), REPROTECT_RUNNING_SECONDARY);
  });
});

describe('planAll: argv drift', () => {
  test(
    'memory changed in the spec (-m): primary replaced with forcesReplacement on machine.memory, pair ' +
      'rebuilt, no drift',
    () => {
      const old = webSpec();
      const spec = webSpec({ memory: '256M' });
      const p = plan(spec, state({ web: vmState({ started: startedAsRunning(old) }) }), healthyWeb(old));
      assert.deepEqual(stepLines(p), [
        'replace primary-stop alpha vm.web.primary',
        'delete secondary-stop beta vm.web.secondary',
        'create primary-start alpha vm.web.primary',
        'create secondary-images beta vm.web.secondary.images',
        'create secondary-start beta vm.web.secondary.qemu',
        'create colo-start alpha vm.web.colo',
      ]);
      assert.deepEqual(p.steps[0]!.changes, [
        { path: 'machine.memory', before: '128M', after: '256M', forcesReplacement: true },
      ]);
      assert.equal(p.steps[0]!.reason, 'the spec changed a setting QEMU only takes at start');
      assert.deepEqual(p.drift, []);
      assert.deepEqual(p.warnings, ['replacing the primary of web restarts its guest (a reboot)']);
      assert.deepEqual(p.blocked, []);
    },
  );

  test('a primary restarted outside colo with another command line: the same replacement, reported as drift', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState({ started: startedAsRunning(spec) }) }),
      healthyWeb(webSpec({ memory: '256M' })),
    );
    assert.equal(p.steps[0]!.kind, 'primary-stop');
    assert.deepEqual(p.steps[0]!.changes, [
      { path: 'machine.memory', before: '256M', after: '128M', forcesReplacement: true },
    ]);
    assert.equal(p.steps[0]!.reason, "its command line was changed outside colo; QEMU takes the spec's only at start");
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web.primary',
        vm: 'web',
        host: 'alpha',
        description:
          'the primary QEMU runs with a command line colo did not start it with, and not the one the spec renders now',
      },
    ]);
  });

  test('primary argv drift with the secondary already gone: no secondary-stop', () => {
    const old = webSpec();
    const spec = webSpec({ memory: '256M' });
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [healthyPrimary(old, vmOf(old), 'alpha', 'beta'), gone('beta')],
    });
    const p = plan(spec, state({ web: vmState() }), obs);
    assert.deepEqual(stepLines(p), ['replace primary-stop alpha vm.web.primary', ...FULL_CREATE]);
  });

  test(
    'secondary argv changed in the spec only: secondary replaced (re-protect), the primary keeps running, ' +
      'no drift',
    () => {
      const spec = webSpec({ extraSecondary: ['-trace', 'colo_receive_message'] });
      const p = plan(spec, state({ web: vmState({ started: startedAsRunning(webSpec()) }) }), healthyWeb(webSpec()));
      assert.deepEqual(stepLines(p), REPROTECT_RUNNING_SECONDARY);
      assert.ok(
        !p.steps.some((s) => s.kind === 'primary-stop' || s.kind === 'primary-start'),
        'the primary must not be restarted',
      );
      assert.deepEqual(p.steps[1]!.changes, [
        { path: 'extraArgs (-trace)', before: undefined, after: 'colo_receive_message', forcesReplacement: true },
      ]);
      assert.equal(p.steps[1]!.reason, "re-protect: the spec changed the secondary's command line");
      assert.deepEqual(p.drift, []);
      assert.deepEqual(p.warnings, []);
    },
  );

  test('a secondary started outside colo with another command line: the same re-protection, reported as drift', () => {
    const spec = webSpec({ extraSecondary: ['-trace', 'colo_receive_message'] });
    const p = plan(spec, state({ web: vmState() }), healthyWeb(webSpec()));
    assert.deepEqual(stepLines(p), REPROTECT_RUNNING_SECONDARY);
    assert.equal(
      p.steps[1]!.reason,
      're-protect: the secondary QEMU runs with a command line colo did not start it with, and not the one the ' +
        'spec renders now',
    );
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web',
        vm: 'web',
        description:
          'the secondary QEMU runs with a command line colo did not start it with, and not the one the spec ' +
          'renders now',
      },
    ]);
  });
});

describe('planAll: VMs removed, destroy, refresh-only', () => {
  test('a VM removed from the spec but present in the state: destroy steps; a spec change, not drift', () => {
    const spec = webSpec({ withApi: true, withoutWeb: true });
    const api = vmOf(spec, 'api');
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
      // a VM only the state knows is observed by its processes only
      web: [
        { host: 'alpha', alive: true, pid: 4242 },
        { host: 'beta', alive: true, pid: 5151 },
      ],
    });
    const st = state({ web: vmState(), api: vmState({ created: {} }) });
    const p = plan(spec, st, obs);
    assert.deepEqual(stepLines(p), [
      'delete secondary-stop beta vm.web.secondary',
      'delete primary-stop alpha vm.web.primary',
      'delete files-delete beta vm.web.files.beta',
    ]);
    for (const s of p.steps)
      assert.equal(s.reason === 'web is not in the spec any more' || s.kind === 'files-delete', true);
    assert.equal(p.steps[2]!.reason, '3 files colo created on beta');
    assert.deepEqual(p.drift, []);
    assert.deepEqual(Object.keys(p.roles), ['api']);
    assert.deepEqual(summarizePlan(p), { add: 0, change: 0, destroy: 3 });
  });

  test('a removed VM whose QEMUs are already gone: only its files are deleted', () => {
    const spec = webSpec({ withApi: true, withoutWeb: true });
    const api = vmOf(spec, 'api');
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
      web: [
        { host: 'alpha', alive: false },
        { host: 'beta', alive: false },
      ],
    });
    const p = plan(
      spec,
      state({ web: vmState({ created: { alpha: ['/var/lib/colo/web/x'], beta: ['/a', '/b'] } }) }),
      obs,
    );
    assert.deepEqual(stepLines(p), [
      'delete files-delete beta vm.web.files.beta',
      'delete files-delete alpha vm.web.files.alpha',
    ]);
    assert.equal(p.steps[1]!.reason, '1 file colo created on alpha');
  });

  test('destroy mode: secondary stopped first, then the primary, then the files colo created', () => {
    const spec = webSpec();
    const p = plan(spec, state({ web: vmState() }), healthyWeb(spec), 'destroy');
    assert.equal(p.mode, 'destroy');
    assert.deepEqual(stepLines(p), [
      'delete secondary-stop beta vm.web.secondary',
      'delete primary-stop alpha vm.web.primary',
      'delete files-delete beta vm.web.files.beta',
    ]);
    for (const s of p.steps.slice(0, 2)) assert.equal(s.reason, 'colo destroy');
    assert.deepEqual(p.drift, []);
    assert.deepEqual(summarizePlan(p), { add: 0, change: 0, destroy: 3 });
  });

  test('destroy mode follows the roles of the state after a failover', () => {
    const spec = webSpec();
    const vm = vmOf(spec);
    const st = state({
      web: vmState({ primaryHost: 'beta', secondaryHost: 'alpha', primaryOrigin: 'promoted-secondary', created: {} }),
    });
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [healthySecondary(spec, vm, 'alpha', 'beta'), healthyPrimary(spec, vm, 'beta', 'alpha')],
    });
    const p = plan(spec, st, obs, 'destroy');
    assert.deepEqual(stepLines(p), [
      'delete secondary-stop alpha vm.web.secondary',
      'delete primary-stop beta vm.web.primary',
    ]);
  });

  test(
    'destroy mode with the secondary host unreachable: the primary is stopped, the pair is blocked ' + 'and stays',
    () => {
      const spec = webSpec();
      const vm = vmOf(spec);
      const obs = observation([obsHost('alpha'), downHost('beta')], {
        web: [healthyPrimary(spec, vm, 'alpha', 'beta')],
      });
      const p = plan(spec, state({ web: vmState() }), obs, 'destroy');
      assert.deepEqual(
        stepLines(p),
        ['delete primary-stop alpha vm.web.primary'],
        'nothing is planned on the host colo cannot reach',
      );
      assert.deepEqual(p.blocked, [
        {
          vm: 'web',
          reason:
            "host beta is unreachable (beta: connect ECONNREFUSED 127.0.0.12:2222): colo cannot stop web's QEMU " +
            'or delete its files there; it removes what it can reach and keeps web in the state',
          hint: 'run the same destroy again once beta is reachable',
        },
      ]);
    },
  );

  test('destroy mode with both hosts unreachable: no steps, blocked naming both', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      state({ web: vmState() }),
      observation([downHost('alpha', 'timeout'), downHost('beta')], { web: [] }),
      'destroy',
    );
    assert.deepEqual(p.steps, []);
    assert.equal(
      p.blocked[0]!.reason,
      'host beta and alpha are unreachable (beta: connect ECONNREFUSED 127.0.0.12:2222; alpha: timeout): colo ' +
        "cannot stop web's QEMU or delete its files there and keeps web in the state",
    );
  });

  test(
    'a VM removed from the spec whose secondary host is unreachable: its reachable side is destroyed, the ' +
      'rest blocked',
    () => {
      const spec = webSpec({ withApi: true, withoutWeb: true });
      const api = vmOf(spec, 'api');
      const obs = observation([obsHost('alpha'), downHost('beta')], {
        api: [healthyPrimary(spec, api, 'alpha', 'beta')],
        web: [{ host: 'alpha', alive: true, pid: 4242 }],
      });
      const p = plan(spec, state({ web: vmState(), api: vmState({ created: {} }) }), obs);
      assert.ok(p.steps.some((s) => s.vm === 'web' && s.kind === 'primary-stop' && s.host === 'alpha'));
      assert.ok(!p.steps.some((s) => s.vm === 'web' && s.host === 'beta'));
      assert.ok(p.blocked.some((b) => b.vm === 'web' && /host beta is unreachable/.test(b.reason)));
    },
  );

  test('destroy mode with nothing deployed: no steps', () => {
    const spec = webSpec();
    const p = plan(
      spec,
      null,
      observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')] }),
      'destroy',
    );
    assert.deepEqual(p.steps, []);
  });

  test('refresh-only: drift reported, no steps (not even host-prepare)', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
      web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta'), gone('beta')],
    });
    const p = plan(spec, state({ web: vmState() }), obs, 'refresh-only');
    assert.equal(p.mode, 'refresh-only');
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.drift, [
      { address: 'vm.web.secondary', vm: 'web', host: 'beta', description: 'the secondary QEMU on beta is gone' },
    ]);
  });

  test('refresh-only: blocked pairs still reported', () => {
    const spec = webSpec();
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
    });
    const p = plan(spec, state({ web: vmState() }), obs, 'refresh-only');
    assert.deepEqual(p.steps, []);
    assert.equal(p.blocked.length, 1);
    assert.equal(p.drift.length, 1);
  });

  test('refresh-only: a VM removed from the spec is a configuration change, not drift', () => {
    const spec = webSpec({ withApi: true, withoutWeb: true });
    const api = vmOf(spec, 'api');
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
      web: [],
    });
    const p = plan(spec, state({ web: vmState(), api: vmState({ created: {} }) }), obs, 'refresh-only');
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.drift, []);
  });
});

describe('planAll: roles after a failover', () => {
  const promotedState = (status: 'protected' | 'degraded') =>
    state({
      web: vmState({ primaryHost: 'beta', secondaryHost: 'alpha', primaryOrigin: 'promoted-secondary', status }),
    });

  /** The promoted primary on beta: started as the secondary of alpha, now primary in COLO again after re-protection. */
  function promotedPrimary(spec = webSpec(), o: Partial<ObservedQemu> = {}): ObservedQemu {
    const vm = vmOf(spec);
    return healthyPrimary(spec, vm, 'beta', 'alpha', {
      argv: secondaryArgv(spec, vm, 'beta', 'alpha'),
      startedAs: 'secondary',
      objects: ['type', 'rew-net0', 'm0-net0', 'redire0-net0', 'redire1-net0', 'iothread-net0', 'comp-net0'],
      quorumChildren: { 'colo-disk0': ['childs-disk0', 'replication-disk0'] },
      ...o,
    });
  }

  test(
    're-protected pair after failover: roles from the state, the promoted primary checked against its ' +
      'secondary argv, no changes',
    () => {
      const spec = webSpec();
      const vm = vmOf(spec);
      const obs = observation([obsHost('alpha'), obsHost('beta')], {
        web: [healthySecondary(spec, vm, 'alpha', 'beta'), promotedPrimary(spec)],
      });
      const p = plan(spec, promotedState('protected'), obs);
      assert.deepEqual(p.roles, { web: { primary: 'beta', secondary: 'alpha', primaryOrigin: 'promoted-secondary' } });
      assert.deepEqual(p.steps, []);
      assert.deepEqual(p.drift, []);
      assert.deepEqual(p.blocked, []);
    },
  );

  test('the expectation compares the promoted primary with the SECONDARY argv it was started with', () => {
    const old = webSpec();
    const spec = webSpec({ memory: '256M' });
    const vm = vmOf(spec);
    const exp = pairExpectation(spec, vm, { primary: 'beta', secondary: 'alpha' }, {});
    const f = primaryFindings(promotedPrimary(old), exp);
    // against the primary argv there would be many more differences (-incoming, proxy chardevs, drives)
    assert.deepEqual(f.argvChanges, [
      { path: 'machine.memory', before: '128M', after: '256M', forcesReplacement: true },
    ]);
    assert.deepEqual(f.problems, []);
    assert.deepEqual(primaryFindings(promotedPrimary(spec), exp), { problems: [], argvChanges: [] });
  });

  test('argv drift of a promoted primary: blocked, never restarted from the original image', () => {
    const old = webSpec();
    const spec = webSpec({ memory: '256M' });
    const vm = vmOf(old);
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      web: [healthySecondary(old, vm, 'alpha', 'beta'), promotedPrimary(old)],
    });
    const p = plan(spec, promotedState('protected'), obs);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'the primary of web on beta is a promoted secondary and the spec now renders a different command line ' +
          '(machine.memory 128M -> 256M); ' +
          'replacing it would restart the guest from the original image and lose the promoted disk, so colo ' +
          'will not. Revert the spec change to keep the pair as it is',
      },
    ]);
    assert.deepEqual(p.warnings, []);
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web.primary',
        vm: 'web',
        host: 'beta',
        description:
          'the primary QEMU runs with a command line colo did not start it with, and not the one the spec renders now',
      },
    ]);
  });

  test('degraded pair after failover (no secondary running): re-protect onto the recovered host', () => {
    const spec = webSpec();
    const primary = promotedPrimary(spec, {
      coloMode: 'none',
      coloReason: 'request',
      migrateStatus: 'none',
      objects: ['type', 'rew-net0'],
      quorumChildren: { 'colo-disk0': ['childs-disk0'] },
    });
    const obs = observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), primary] });
    const p = plan(spec, promotedState('degraded'), obs);
    assert.deepEqual(stepLines(p), [
      'create secondary-images alpha vm.web.secondary.images',
      'create secondary-start alpha vm.web.secondary.qemu',
      'create colo-start beta vm.web.colo',
    ]);
    assert.deepEqual(p.drift, [
      {
        address: 'vm.web.secondary',
        vm: 'web',
        host: 'alpha',
        description: 'the secondary QEMU on alpha is gone (pair degraded since the last failover)',
      },
    ]);
    assert.deepEqual(p.roles['web'], { primary: 'beta', secondary: 'alpha', primaryOrigin: 'promoted-secondary' });
  });

  test('degraded pair after failover, the recovered host was reinstalled: its work dir is prepared first', () => {
    const spec = webSpec();
    const primary = promotedPrimary(spec, {
      coloMode: 'none',
      migrateStatus: 'none',
      objects: ['type', 'rew-net0'],
      quorumChildren: { 'colo-disk0': ['childs-disk0'] },
    });
    const obs = observation([obsHost('alpha', { workDirExists: false }), obsHost('beta')], {
      web: [gone('alpha'), primary],
    });
    const p = plan(spec, promotedState('degraded'), obs);
    assert.deepEqual(stepLines(p), [
      'create host-prepare alpha host.alpha',
      'create secondary-images alpha vm.web.secondary.images',
      'create secondary-start alpha vm.web.secondary.qemu',
      'create colo-start beta vm.web.colo',
    ]);
  });

  test('degraded after failover, the recovered host still down: blocked, pair stays degraded', () => {
    const spec = webSpec();
    const primary = promotedPrimary(spec, { coloMode: 'none', migrateStatus: 'none', objects: ['type', 'rew-net0'] });
    const p = plan(
      spec,
      promotedState('degraded'),
      observation([downHost('alpha', 'no route to host'), obsHost('beta')], { web: [primary] }),
    );
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.blocked, [
      {
        vm: 'web',
        reason:
          'secondary host alpha is unreachable (no route to host); the pair stays degraded: web runs ' +
          'unprotected on beta',
      },
    ]);
  });
});

describe('rolesFor', () => {
  const spec = webSpec();
  const vm = vmOf(spec);
  test('no state: the spec decides', () => {
    assert.deepEqual(rolesFor(vm, null), { primary: 'alpha', secondary: 'beta', primaryOrigin: 'primary' });
    assert.deepEqual(rolesFor(vm, state({})), { primary: 'alpha', secondary: 'beta', primaryOrigin: 'primary' });
  });
  test('the state decides after a failover', () => {
    const st = state({
      web: vmState({ primaryHost: 'beta', secondaryHost: 'alpha', primaryOrigin: 'promoted-secondary' }),
    });
    assert.deepEqual(rolesFor(vm, st), { primary: 'beta', secondary: 'alpha', primaryOrigin: 'promoted-secondary' });
  });
  test('a state naming hosts the spec no longer pairs is ignored', () => {
    const st = state({
      web: vmState({ primaryHost: 'gamma', secondaryHost: 'alpha', primaryOrigin: 'promoted-secondary' }),
    });
    assert.deepEqual(rolesFor(vm, st), { primary: 'alpha', secondary: 'beta', primaryOrigin: 'primary' });
  });
});

describe('primaryFindings / secondaryFindings', () => {
  const spec = webSpec();
  const vm = vmOf(spec);
  const exp = pairExpectation(spec, vm, { primary: 'alpha', secondary: 'beta' }, {});

  test('healthy sides have no findings', () => {
    assert.deepEqual(primaryFindings(healthyPrimary(spec, vm, 'alpha', 'beta'), exp), {
      problems: [],
      argvChanges: [],
    });
    assert.deepEqual(secondaryFindings(healthySecondary(spec, vm, 'beta', 'alpha'), exp), {
      problems: [],
      argvChanges: [],
    });
  });

  test('QMP not answering: only that problem (nothing else can be known), argv still compared', () => {
    const q: ObservedQemu = {
      host: 'alpha',
      alive: true,
      argv: healthyPrimary(spec, vm, 'alpha', 'beta').argv!,
      startedAs: 'primary',
      qmpError: 'timeout',
    };
    assert.deepEqual(primaryFindings(q, exp), { problems: ['QMP on alpha does not answer: timeout'], argvChanges: [] });
  });

  test('unknown COLO mode and migration status', () => {
    const q: ObservedQemu = { host: 'alpha', alive: true, objects: [], quorumChildren: {} };
    const f = primaryFindings(q, exp);
    assert.equal(f.problems[0], 'COLO is not running on the primary (mode unknown)');
    assert.equal(f.problems[1], 'migration status is unknown, not colo');
    assert.deepEqual(f.argvChanges, [], 'no argv known: nothing to compare');
  });

  test('a QEMU started as primary in the secondary role', () => {
    const q = healthySecondary(spec, vm, 'beta', 'alpha', {
      startedAs: 'primary',
      argv: healthyPrimary(spec, vm, 'beta', 'alpha').argv!,
    });
    const f = secondaryFindings(q, exp);
    assert.equal(f.problems[0], 'the QEMU on beta was not started as a secondary');
    // compared with the argv of the role it was started in: no argv difference
    assert.deepEqual(f.argvChanges, []);
  });

  test('a crashed secondary guest is reported even when its QMP does not answer', () => {
    const q: ObservedQemu = {
      host: 'beta',
      alive: true,
      qmpError: 'timeout',
      consoleCrash: ['Kernel panic - not syncing: Fatal exception'],
    };
    assert.deepEqual(secondaryFindings(q, exp).problems, [
      'QMP on beta does not answer: timeout',
      'the secondary\'s guest crashed: "Kernel panic - not syncing: Fatal exception"',
    ]);
  });

  test('several disabled virtio devices: one problem each', () => {
    const q = healthySecondary(spec, vm, 'beta', 'alpha', {
      virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend', '/machine/peripheral/blk-disk0/virtio-backend'],
    });
    assert.equal(secondaryFindings(q, exp).problems.length, 2);
  });
});

describe('planPair', () => {
  test('returns the roles it planned with', () => {
    const spec = webSpec();
    const vm = vmOf(spec);
    const obs = healthyWeb(spec);
    const pp = planPair(vm, {
      spec,
      state: null,
      observation: obs,
      mode: 'normal',
      expectation: (v, r) => pairExpectation(spec, v, r, {}),
      specHash: 'x',
      coloVersion: 'x',
      now: NOW,
    });
    assert.deepEqual(pp.roles, { primary: 'alpha', secondary: 'beta', primaryOrigin: 'primary' });
    assert.deepEqual(pp.steps, []);
    assert.equal(pp.blocked, undefined);
  });
});
