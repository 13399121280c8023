/**
 * The executor (src/engine/run-recipe.ts) runs real recipes against fake QEMUs (fake-qemu.ts over
 * the fake QMP peer): each QEMU receives exactly the recipe's commands, in order; guards skip what
 * is absent, tolerated errors do not fail, polls repeat until their condition holds, a failed
 * switchover is undone, a failover still loading a checkpoint is retried.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runQmpRecipe } from '../../../src/engine/run-recipe.ts';
import { verifySurvivor } from '../../../src/engine/steps/failover-qmp.ts';
import {
  diskIds,
  initialPlacement,
  nicIds,
  placementAfterFailoverToSecondary,
  proxyChardevIds,
  renderCheckpointUpdate,
  renderCheckpointUpdateRecipe,
  renderColoStart,
  renderFailoverSecondary,
  renderFailoverToPrimary,
  renderFailoverToSecondary,
  renderMirrorStart,
  renderProxyChardevAdds,
  renderResyncFinish,
  renderSwitchover,
  virtioBackendPaths,
} from '../../../src/render/index.ts';
import type { QmpCommand } from '../../../src/qmp/types.ts';
import type { Spec, VmSpec } from '../../../src/spec/types.ts';
import { fleetSpec, labSpec, onlyVm } from '../render/spec-fixtures.ts';
import { FakeQemu } from './fake-qemu.ts';

const cmd = (execute: string, args?: Record<string, unknown>): QmpCommand =>
  args === undefined ? { execute } : { execute, arguments: args };
const TEARDOWN_QUERIES = [
  cmd('query-block-jobs'),
  cmd('x-debug-query-block-graph'),
  cmd('qom-list', { path: '/objects' }),
];
const virtioQueries = (vm: VmSpec) => virtioBackendPaths(vm).map((path) => cmd('x-query-virtio-status', { path }));

/** A primary and a secondary ready for colo-start: migrate brings COLO, STOP/RESUME 25 ms apart. */
function coloPair(vm: VmSpec, chardevs: string[]): { primary: FakeQemu; secondary: FakeQemu } {
  const primary = new FakeQemu({
    chardevs: new Set(chardevs),
    migrate: [{ status: 'active' }, { status: 'colo' }],
    virtio: [
      { status: 0, disabled: false },
      { status: 15, disabled: false },
    ],
  });
  primary.after = (m, q) => {
    if (m.execute === 'migrate') {
      q.state.coloMode = 'primary';
      q.event('STOP', undefined, 10, 0);
      q.event('RESUME', undefined, 10, 25_000);
    }
    if (m.execute === 'query-colo-status' && q.state.coloMode === 'primary') q.event('RESUME', undefined, 12, 0);
  };
  const secondary = new FakeQemu({ coloMode: 'secondary' });
  void vm;
  return { primary, secondary };
}

function expectedColoStart(spec: Spec, vm: VmSpec, p: ReturnType<typeof initialPlacement>, withAdds: boolean) {
  const [prepare, wire, migrate] = renderSwitchover(spec, vm, { ...p, primaryHasProxyChardevs: !withAdds });
  const [cancel, cleanup] = renderResyncFinish(vm);
  return [
    cmd('query-chardev'),
    ...renderMirrorStart(spec, vm, p)[0]!.commands,
    // the guest's drivers: not ready at the first query, ready at the second
    ...virtioQueries(vm),
    ...virtioQueries(vm),
    ...prepare!.commands,
    ...wire!.commands,
    ...migrate!.commands,
    cmd('query-migrate'),
    cmd('query-migrate'),
    cmd('query-block-jobs'),
    ...cancel!.commands,
    ...cleanup!.commands,
    cmd('query-colo-status'),
  ];
}

describe('colo-start recipes against fake QEMUs', () => {
  test('teardown (nothing left over), then the start: exactly the rendered commands, in order', async () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = initialPlacement(vm);
    const { primary, secondary } = coloPair(vm, proxyChardevIds(vm));
    const [pq, sq] = [await primary.connect(), await secondary.connect()];
    const recipes = renderColoStart(spec, vm, p);
    const progress: string[] = [];

    const pre = await runQmpRecipe(recipes.teardown, { primary: pq });
    assert.deepEqual(pre.removed, []);
    assert.deepEqual(primary.sent(), [...TEARDOWN_QUERIES, cmd('query-colo-status'), cmd('query-status')]);

    const run = await runQmpRecipe(
      recipes.start,
      { primary: pq, secondary: sq },
      { progress: (m) => progress.push(m) },
    );
    assert.deepEqual(primary.sent().slice(5), expectedColoStart(spec, vm, p, false));
    assert.deepEqual(secondary.sent(), [cmd('query-colo-status'), ...virtioQueries(vm)]);
    // what the step reports from
    assert.equal(run.events['resume']!.timestamp!.microseconds - run.events['stop']!.timestamp!.microseconds, 25_000);
    assert.ok(run.timings['mirror-start']! >= 0 && run.timings['switchover-wire']! >= 0 && run.timings['live']! >= 0);
    assert.deepEqual(progress, [
      'mirroring 1 disk(s) to b',
      'mirror-start',
      'waiting for the guest on a to set up its virtio devices',
      'switchover-prepare',
      'switchover-wire',
      'switchover-migrate',
      'copying the RAM while the guest runs',
      'resync-cancel',
      'resync-cleanup',
      'waiting for a checkpoint after the first',
    ]);
  });

  test('a promoted primary without proxy chardevs: the guarded chardev-adds go into the wiring', async () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = placementAfterFailoverToSecondary(initialPlacement(vm));
    const { primary, secondary } = coloPair(vm, []);
    await runQmpRecipe(renderColoStart(spec, vm, p).start, {
      primary: await primary.connect(),
      secondary: await secondary.connect(),
    });
    const sent = primary.sent();
    assert.deepEqual(sent, expectedColoStart(spec, vm, p, true));
    assert.equal(sent.filter((c) => c.execute === 'chardev-add').length, 6);
  });

  test('some proxy chardevs but not all: refused before anything is sent, naming the ones present', async () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const { primary, secondary } = coloPair(vm, [nicIds(vm.netdevs[0]!).mirror]);
    await assert.rejects(
      runQmpRecipe(renderColoStart(spec, vm, initialPlacement(vm)).start, {
        primary: await primary.connect(),
        secondary: await secondary.connect(),
      }),
      /the primary of lab has only some of its proxy chardevs \(mirror0-net0\); stop it and re-apply/,
    );
    assert.deepEqual(primary.sent(), [cmd('query-chardev')]);
  });

  test('the migration fails: migrate_cancel, the teardown undoes the wiring, the error says both', async () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = initialPlacement(vm);
    const { primary, secondary } = coloPair(vm, proxyChardevIds(vm));
    primary.state.migrate = [{ status: 'failed', 'error-desc': 'boom' }];
    primary.after = undefined;
    await assert.rejects(
      runQmpRecipe(renderColoStart(spec, vm, p).start, {
        primary: await primary.connect(),
        secondary: await secondary.connect(),
      }),
      /^Error: switchover failed: COLO migration failed: boom \(the primary was left running alone\)$/,
    );
    const sent = primary.sent();
    const after = sent.slice(sent.findIndex((c) => c.execute === 'query-migrate'));
    const ids = diskIds(vm.disks[0]!);
    const n = nicIds(vm.netdevs[0]!);
    assert.deepEqual(after, [
      cmd('query-migrate'),
      cmd('migrate_cancel'),
      ...TEARDOWN_QUERIES,
      cmd('block-job-cancel', { device: ids.mirrorJob, force: true }),
      cmd('block-job-dismiss', { id: ids.mirrorJob }),
      cmd('x-blockdev-change', { parent: ids.quorum, child: 'children.1' }),
      cmd('blockdev-del', { 'node-name': ids.replication }),
      cmd('blockdev-del', { 'node-name': ids.nbd }),
      cmd('blockdev-del', { 'node-name': ids.mirrorTarget }),
      ...[n.compare, n.iothread, n.filterMirror, n.redirectorOut, n.redirectorIn].map((id) =>
        cmd('object-del', { id }),
      ),
      cmd('query-colo-status'),
      cmd('query-status'),
    ]);
    assert.deepEqual(secondary.sent(), []);
  });
});

describe('the teardown (failover --to primary, primary-leave-colo)', () => {
  test('everything present: each part removed in order, COLO left, sockets re-created, the guest resumed', async () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const p = initialPlacement(vm);
    const disks = vm.disks.map(diskIds);
    const nics = vm.netdevs.map(nicIds);
    const q = new FakeQemu({
      jobs: new Map([[disks[0]!.mirrorJob, { ready: true }]]),
      nodes: new Set(disks.flatMap((d) => [d.replication, d.nbd])),
      objects: new Set(nics.flatMap((n) => [n.compare, n.iothread, n.filterMirror, n.redirectorOut, n.redirectorIn])),
      chardevs: new Set(proxyChardevIds(vm)),
      coloMode: 'primary',
      runStatus: 'paused',
    });
    // one object already half gone: its QMP error is tolerated and it is not reported as removed
    q.failures['object-del'] = [{ cls: 'GenericError', desc: "object 'comp-lan' not found" }];
    const r = await runQmpRecipe(renderFailoverToPrimary(spec, vm, p).promote, { primary: await q.connect() });
    const adds = renderProxyChardevAdds(spec, vm, p);
    const reset = nics.flatMap((n) =>
      [n.mirror, n.compareIn].flatMap((id) => [
        cmd('chardev-remove', { id }),
        adds.find((c) => c.arguments?.['id'] === id)!,
      ]),
    );
    assert.deepEqual(q.sent(), [
      ...TEARDOWN_QUERIES,
      cmd('block-job-cancel', { device: disks[0]!.mirrorJob, force: true }),
      cmd('block-job-dismiss', { id: disks[0]!.mirrorJob }),
      ...disks.flatMap((d) => [
        cmd('x-blockdev-change', { parent: d.quorum, child: 'children.1' }),
        cmd('blockdev-del', { 'node-name': d.replication }),
        cmd('blockdev-del', { 'node-name': d.nbd }),
      ]),
      ...nics.flatMap((n) =>
        [n.compare, n.iothread, n.filterMirror, n.redirectorOut, n.redirectorIn].map((id) => cmd('object-del', { id })),
      ),
      cmd('query-colo-status'),
      cmd('x-colo-lost-heartbeat'),
      cmd('query-chardev'),
      ...reset,
      cmd('query-status'),
      cmd('cont'),
    ]);
    assert.equal(r.succeeded['leave COLO'], true);
    assert.ok(!r.removed.includes('comp-lan'));
    assert.deepEqual(r.removed.slice(0, 3), [disks[0]!.mirrorJob, disks[0]!.replication, disks[0]!.nbd]);
    assert.equal(r.removed.filter((x) => x.endsWith('(re-created)')).length, 4);
  });

  test('nothing present, not in COLO: only the queries; a refused cancel skips its wait and dismiss', async () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = initialPlacement(vm);
    const q = new FakeQemu({ chardevs: new Set() });
    await runQmpRecipe(renderFailoverToPrimary(spec, vm, p).promote, { primary: await q.connect() });
    assert.deepEqual(q.sent(), [
      ...TEARDOWN_QUERIES,
      cmd('query-colo-status'),
      cmd('query-chardev'),
      cmd('query-status'),
    ]);

    const job = diskIds(vm.disks[0]!).mirrorJob;
    const q2 = new FakeQemu({ jobs: new Map([[job, { ready: false }]]) });
    q2.failures['block-job-cancel'] = [{ cls: 'GenericError', desc: 'job busy' }];
    q2.failures['query-colo-status'] = [{ cls: 'CommandNotFound', desc: 'no COLO here' }];
    const r = await runQmpRecipe(renderColoStart(spec, vm, p).teardown, { primary: await q2.connect() });
    assert.deepEqual(q2.sent(), [
      ...TEARDOWN_QUERIES,
      cmd('block-job-cancel', { device: job, force: true }),
      cmd('query-colo-status'),
      cmd('query-status'),
    ]);
    assert.deepEqual(r.removed, []);
    assert.equal(r.succeeded[`cancel ${job}`], false);
    assert.deepEqual(r.facts['colo'], { mode: 'none' }, 'a failed query-colo-status counts as not in COLO');
  });
});

describe('failover --to secondary: promoting the secondary', () => {
  test('exactly the failover sequence; what a partial earlier run removed is tolerated', async () => {
    const vm = onlyVm(labSpec());
    const q = new FakeQemu();
    q.failures['nbd-server-stop'] = [{ cls: 'GenericError', desc: 'NBD server not running' }];
    q.failures['chardev-remove'] = [{ cls: 'GenericError', desc: "Chardev 'red1-net0' not found" }];
    await runQmpRecipe(renderFailoverToSecondary(labSpec(), vm, initialPlacement(vm)).promote, {
      secondary: await q.connect(),
    });
    assert.deepEqual(q.sent(), renderFailoverSecondary(vm)[0]!.commands);
  });

  test('still loading a checkpoint: the whole sequence is run again; other errors fail at once', async () => {
    const vm = onlyVm(labSpec());
    const q = new FakeQemu();
    q.failures['x-colo-lost-heartbeat'] = [{ cls: 'GenericError', desc: 'COLO is still loading VMstate' }];
    const recipe = renderFailoverToSecondary(labSpec(), vm, initialPlacement(vm)).promote;
    await runQmpRecipe(recipe, { secondary: await q.connect() });
    const seq = renderFailoverSecondary(vm)[0]!.commands;
    assert.deepEqual(q.sent(), [...seq.slice(0, 2), ...seq]);

    const q2 = new FakeQemu();
    q2.failures['x-colo-lost-heartbeat'] = [{ cls: 'GenericError', desc: 'not in COLO mode' }];
    await assert.rejects(
      runQmpRecipe(recipe, { secondary: await q2.connect() }),
      /failover-secondary: x-colo-lost-heartbeat: GenericError: not in COLO mode/,
    );
    assert.deepEqual(q2.sent(), seq.slice(0, 2));
  });
});

describe('after either failover: the survivor verified', () => {
  test('polled until it runs with COLO mode none; its disabled virtio devices returned', async () => {
    const vm = onlyVm(labSpec());
    const q = new FakeQemu({ runStatus: 'paused', coloMode: 'primary', virtio: [{ status: 15, disabled: true }] });
    q.after = (m, f) => {
      if (m.execute === 'query-colo-status') Object.assign(f.state, { runStatus: 'running', coloMode: 'none' });
    };
    const disabled = await verifySurvivor(await q.connect(), vm, 'b', 'secondary');
    assert.deepEqual(disabled, virtioBackendPaths(vm));
    const poll = [cmd('query-status'), cmd('query-colo-status')];
    assert.deepEqual(q.sent(), [...poll, ...poll, ...virtioQueries(vm)]);
  });
});

describe('checkpoint update', () => {
  test('the settings in place, then read back; a value that did not take fails', async () => {
    const vm = onlyVm(labSpec());
    const q = new FakeQemu();
    await runQmpRecipe(renderCheckpointUpdateRecipe(vm, 'a'), { primary: await q.connect() });
    assert.deepEqual(q.sent(), [...renderCheckpointUpdate(vm)[0]!.commands, cmd('query-migrate-parameters')]);

    const q2 = new FakeQemu();
    q2.state.params = { 'x-checkpoint-delay': 200 };
    q2.after = (m, f) => {
      if (m.execute === 'migrate-set-parameters') f.state.params['x-checkpoint-delay'] = 200;
    };
    await assert.rejects(
      runQmpRecipe(renderCheckpointUpdateRecipe(vm, 'a'), { primary: await q2.connect() }),
      /x-checkpoint-delay is 200 after the update, expected 2000/,
    );
  });
});
