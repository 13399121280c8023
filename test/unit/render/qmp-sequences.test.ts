import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dialectForVersion,
  initialPlacement,
  placementAfterFailoverToSecondary,
  renderCheckpointUpdate,
  renderFailoverSecondary,
  renderMirrorStart,
  renderPrimaryTeardown,
  renderResyncFinish,
  renderSecondaryPrepare,
  renderSwitchover,
  renderVmRecipes,
  diskSizeRef,
  type QmpPhase,
} from '../../../src/render/index.ts';
import type { QmpCommand } from '../../../src/qmp/types.ts';
import { fleetSpec, labSpec, onlyVm } from './spec-fixtures.ts';
import { qmpOf, recipeCommands, scriptOf, startArgv, stepOf } from './recipe-helpers.ts';

const d72 = dialectForVersion({ major: 7, minor: 2, micro: 22 });
const d81 = dialectForVersion({ major: 8, minor: 1, micro: 0 });

const X_COLO: QmpCommand = {
  execute: 'migrate-set-capabilities',
  arguments: { capabilities: [{ capability: 'x-colo', state: true }] },
};

function only(phases: QmpPhase[]): QmpPhase {
  assert.equal(phases.length, 1);
  return phases[0]!;
}

function phase(phases: QmpPhase[], name: string): QmpPhase {
  const p = phases.find((x) => x.name === name);
  assert.ok(p, `no phase ${name} in ${phases.map((x) => x.name).join(', ')}`);
  return p;
}

const names = (cmds: QmpCommand[]) => cmds.map((c) => c.execute);

describe('renderSecondaryPrepare', () => {
  test('7.2: NBD server on the secondary replication address, writable export per disk, no x-colo', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    assert.deepEqual(only(renderSecondaryPrepare(spec, vm, initialPlacement(vm), d72)), {
      name: 'secondary-prepare',
      commands: [
        {
          execute: 'nbd-server-start',
          arguments: { addr: { type: 'inet', data: { host: '127.0.0.12', port: '9999' } } },
        },
        { execute: 'nbd-server-add', arguments: { device: 'parent-disk0', name: 'lab-disk0', writable: true } },
      ],
    });
  });

  test('8.1+: x-colo first', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const p = only(renderSecondaryPrepare(spec, vm, initialPlacement(vm), d81));
    assert.deepEqual(p.commands[0], X_COLO);
    assert.deepEqual(names(p.commands), [
      'migrate-set-capabilities',
      'nbd-server-start',
      'nbd-server-add',
      'nbd-server-add',
    ]);
    assert.deepEqual(
      p.commands.slice(2).map((c) => c.arguments?.['name']),
      ['db-root', 'db-data'],
    );
  });
});

describe('renderMirrorStart', () => {
  test(
    'per disk: its own NBD client node to the export, full write-blocking mirror of the quorum; wait READY ' +
      'for all jobs',
    () => {
      const spec = fleetSpec();
      const vm = onlyVm(spec);
      const p = only(renderMirrorStart(spec, vm, initialPlacement(vm)));
      assert.deepEqual(p.commands[0], {
        execute: 'blockdev-add',
        arguments: {
          driver: 'nbd',
          'node-name': 'resync-nbd-root',
          server: { type: 'inet', host: '198.18.1.2', port: '10001' },
          export: 'db-root',
        },
      });
      assert.deepEqual(p.commands[1], {
        execute: 'blockdev-mirror',
        arguments: {
          'job-id': 'resync-root',
          device: 'colo-root',
          target: 'resync-nbd-root',
          sync: 'full',
          'copy-mode': 'write-blocking',
        },
      });
      assert.equal(p.commands.length, 4);
      assert.deepEqual(p.waitFor, { event: 'BLOCK_JOB_READY', jobIds: ['resync-root', 'resync-data'] });
    },
  );
});

describe('renderSwitchover', () => {
  test(
    'initial primary, live (no stop): x-colo and parameters with downtime-limit; replication children on ' +
      'their own NBD node and proxy pipelined; migrate',
    () => {
      const spec = labSpec();
      const vm = onlyVm(spec);
      const phases = renderSwitchover(spec, vm, initialPlacement(vm));
      assert.deepEqual(
        phases.map((p) => p.name),
        ['switchover-prepare', 'switchover-wire', 'switchover-migrate'],
      );
      assert.ok(
        !phases.flatMap((p) => p.commands).some((c) => c.execute === 'stop' || c.execute === 'block-job-cancel'),
        'the guest is never stopped by colo',
      );
      assert.deepEqual(phases[0]?.commands, [
        X_COLO,
        {
          execute: 'migrate-set-parameters',
          arguments: { 'x-checkpoint-delay': 2000, 'max-bandwidth': 1073741824, 'downtime-limit': 50 },
        },
      ]);
      assert.equal(phases[0]?.pipelined, undefined);
      assert.equal(phases[1]?.pipelined, true);
      assert.deepEqual(phases[1]?.commands.slice(0, 3), [
        {
          execute: 'blockdev-add',
          arguments: {
            driver: 'nbd',
            'node-name': 'nbd-disk0',
            server: { type: 'inet', host: '127.0.0.12', port: '9999' },
            export: 'lab-disk0',
          },
        },
        {
          execute: 'blockdev-add',
          arguments: { driver: 'replication', 'node-name': 'replication-disk0', mode: 'primary', file: 'nbd-disk0' },
        },
        { execute: 'x-blockdev-change', arguments: { parent: 'quorum-disk0', node: 'replication-disk0' } },
      ]);
      assert.deepEqual(phases[1]?.commands.slice(3), [
        {
          execute: 'object-add',
          arguments: {
            'qom-type': 'filter-mirror',
            id: 'm0-net0',
            netdev: 'net0',
            queue: 'tx',
            outdev: 'mirror0-net0',
            vnet_hdr_support: true,
          },
        },
        {
          execute: 'object-add',
          arguments: {
            'qom-type': 'filter-redirector',
            id: 'redire0-net0',
            netdev: 'net0',
            queue: 'rx',
            indev: 'compare_out-net0',
            vnet_hdr_support: true,
          },
        },
        {
          execute: 'object-add',
          arguments: {
            'qom-type': 'filter-redirector',
            id: 'redire1-net0',
            netdev: 'net0',
            queue: 'rx',
            outdev: 'compare0-net0',
            vnet_hdr_support: true,
          },
        },
        { execute: 'object-add', arguments: { 'qom-type': 'iothread', id: 'iothread-net0' } },
        {
          execute: 'object-add',
          arguments: {
            'qom-type': 'colo-compare',
            id: 'comp-net0',
            primary_in: 'compare0-0-net0',
            secondary_in: 'compare1-net0',
            outdev: 'compare_out0-net0',
            iothread: 'iothread-net0',
            compare_timeout: 3000,
            expired_scan_cycle: 3000,
            max_queue_size: 1024,
            vnet_hdr_support: true,
          },
        },
      ]);
      assert.deepEqual(phases[2]?.commands, [{ execute: 'migrate', arguments: { uri: 'tcp:127.0.0.12:9998' } }]);
    },
  );

  test('object-add uses flat properties (no "props" wrapper, removed in QEMU 6.0)', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const adds = renderSwitchover(spec, vm, initialPlacement(vm))
      .flatMap((p) => p.commands)
      .filter((c) => c.execute === 'object-add');
    assert.equal(adds.length, 10);
    assert.ok(
      adds.every((c) => c.arguments && !('props' in c.arguments) && typeof c.arguments['qom-type'] === 'string'),
    );
    assert.ok(
      adds.every((c) => !('vnet_hdr_support' in (c.arguments ?? {}))),
      'e1000 NICs: no vnet_hdr_support',
    );
  });

  test('promoted primary without proxy chardevs: chardev-add the six sockets first, filters before rew-<nic>', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = placementAfterFailoverToSecondary(initialPlacement(vm));
    const phases = renderSwitchover(spec, vm, p);
    const proxy = phase(phases, 'switchover-wire').commands.filter(
      (c) => c.execute !== 'blockdev-add' && c.execute !== 'x-blockdev-change',
    );
    assert.deepEqual(phase(phases, 'switchover-wire').commands[0]?.arguments?.['server'], {
      type: 'inet',
      host: '127.0.0.11',
      port: '9999',
    });
    const d = '/tmp/colo-lab/b/lab';
    assert.deepEqual(proxy.slice(0, 6), [
      {
        execute: 'chardev-add',
        arguments: {
          id: 'mirror0-net0',
          backend: {
            type: 'socket',
            data: { addr: { type: 'inet', data: { host: '127.0.0.12', port: '9003' } }, server: true, wait: false },
          },
        },
      },
      {
        execute: 'chardev-add',
        arguments: {
          id: 'compare1-net0',
          backend: {
            type: 'socket',
            data: { addr: { type: 'inet', data: { host: '127.0.0.12', port: '9004' } }, server: true, wait: false },
          },
        },
      },
      {
        execute: 'chardev-add',
        arguments: {
          id: 'compare0-net0',
          backend: {
            type: 'socket',
            data: { addr: { type: 'unix', data: { path: `${d}/compare0-net0.sock` } }, server: true, wait: false },
          },
        },
      },
      {
        execute: 'chardev-add',
        arguments: {
          id: 'compare0-0-net0',
          backend: {
            type: 'socket',
            data: { addr: { type: 'unix', data: { path: `${d}/compare0-net0.sock` } }, server: false },
          },
        },
      },
      {
        execute: 'chardev-add',
        arguments: {
          id: 'compare_out-net0',
          backend: {
            type: 'socket',
            data: { addr: { type: 'unix', data: { path: `${d}/compare_out-net0.sock` } }, server: true, wait: false },
          },
        },
      },
      {
        execute: 'chardev-add',
        arguments: {
          id: 'compare_out0-net0',
          backend: {
            type: 'socket',
            data: { addr: { type: 'unix', data: { path: `${d}/compare_out-net0.sock` } }, server: false },
          },
        },
      },
    ]);
    const filters = proxy.filter(
      (c) => c.execute === 'object-add' && String(c.arguments?.['qom-type']).startsWith('filter-'),
    );
    assert.equal(filters.length, 3);
    assert.ok(filters.every((c) => c.arguments?.['insert'] === 'before' && c.arguments['position'] === 'id=rew-net0'));
    const compare = proxy.find((c) => c.arguments?.['qom-type'] === 'colo-compare');
    assert.ok(compare && !('insert' in (compare.arguments ?? {})));
    assert.deepEqual(phase(phases, 'switchover-migrate').commands.at(-1), {
      execute: 'migrate',
      arguments: { uri: 'tcp:127.0.0.11:9998' },
    });
    assert.deepEqual(phase(renderMirrorStart(spec, vm, p), 'mirror-start').commands[0]?.arguments?.['server'], {
      type: 'inet',
      host: '127.0.0.11',
      port: '9999',
    });
  });

  test('promoted primary that already has its chardevs (second re-protect): no chardev-add, still before rew', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = { ...placementAfterFailoverToSecondary(initialPlacement(vm)), primaryHasProxyChardevs: true };
    const proxy = phase(renderSwitchover(spec, vm, p), 'switchover-wire').commands;
    assert.ok(!proxy.some((c) => c.execute === 'chardev-add'));
    assert.equal(proxy.filter((c) => c.arguments?.['position'] === 'id=rew-net0').length, 3);
  });

  test('multi-NIC multi-disk: one NBD node and replication child per disk, one proxy set per NIC', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const phases = renderSwitchover(spec, vm, initialPlacement(vm));
    assert.deepEqual(
      phase(phases, 'switchover-wire')
        .commands.filter((c) => c.execute === 'x-blockdev-change')
        .map((c) => c.arguments?.['parent']),
      ['quorum-root', 'quorum-data'],
    );
    assert.deepEqual(
      phase(phases, 'switchover-wire')
        .commands.filter((c) => c.arguments?.['driver'] === 'nbd')
        .map((c) => c.arguments?.['node-name']),
      ['nbd-root', 'nbd-data'],
    );
    const comps = phase(phases, 'switchover-wire').commands.filter((c) => c.arguments?.['qom-type'] === 'colo-compare');
    assert.deepEqual(
      comps.map((c) => [c.arguments?.['id'], c.arguments?.['compare_timeout']]),
      [
        ['comp-lan', 3000],
        ['comp-wan', 3000],
      ],
    );
    assert.deepEqual(phase(phases, 'switchover-prepare').commands[1]?.arguments, {
      'x-checkpoint-delay': 20000,
      'max-bandwidth': 134217728,
      'downtime-limit': 300,
    });
  });
});

describe('renderResyncFinish', () => {
  test(
    'once COLO runs: cancel every resync mirror (wait COMPLETED), then delete its NBD target node, never the ' +
      'replication one',
    () => {
      const spec = fleetSpec();
      const vm = onlyVm(spec);
      const phases = renderResyncFinish(vm);
      assert.deepEqual(phases, [
        {
          name: 'resync-cancel',
          commands: [
            { execute: 'block-job-cancel', arguments: { device: 'resync-root' } },
            { execute: 'block-job-cancel', arguments: { device: 'resync-data' } },
          ],
          waitFor: { event: 'BLOCK_JOB_COMPLETED', jobIds: ['resync-root', 'resync-data'] },
        },
        {
          name: 'resync-cleanup',
          commands: [
            { execute: 'blockdev-del', arguments: { 'node-name': 'resync-nbd-root' } },
            { execute: 'blockdev-del', arguments: { 'node-name': 'resync-nbd-data' } },
          ],
        },
      ]);
    },
  );
});

describe('failover', () => {
  test('secondary (primary died): nbd-server-stop, lost-heartbeat, drop f2/f1 then red1/red0; rew stays', () => {
    const vm = onlyVm(labSpec());
    assert.deepEqual(only(renderFailoverSecondary(vm)), {
      name: 'failover-secondary',
      commands: [
        { execute: 'nbd-server-stop' },
        { execute: 'x-colo-lost-heartbeat' },
        { execute: 'object-del', arguments: { id: 'f2-net0' } },
        { execute: 'object-del', arguments: { id: 'f1-net0' } },
        { execute: 'chardev-remove', arguments: { id: 'red1-net0' } },
        { execute: 'chardev-remove', arguments: { id: 'red0-net0' } },
      ],
    });
  });

  test('primary (secondary died): quorum child, replication node, nbd node, proxy objects, then lost-heartbeat', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    // The one teardown (failover --to primary, primary-leave-colo, before a switchover): its commands
    // for what a switchover adds, in QEMU's documented order.
    const all = recipeCommands(renderPrimaryTeardown(spec, vm, initialPlacement(vm), { resetPeerSockets: true }));
    const documented = new Set(['x-blockdev-change', 'object-del', 'x-colo-lost-heartbeat']);
    const wiring = all.filter(
      (c) =>
        documented.has(c.execute) ||
        (c.execute === 'blockdev-del' && !String(c.arguments?.['node-name']).startsWith('resync-')),
    );
    assert.deepEqual(wiring, [
      { execute: 'x-blockdev-change', arguments: { parent: 'colo-disk0', child: 'children.1' } },
      { execute: 'blockdev-del', arguments: { 'node-name': 'replication-disk0' } },
      { execute: 'blockdev-del', arguments: { 'node-name': 'nbd-disk0' } },
      { execute: 'object-del', arguments: { id: 'comp-net0' } },
      { execute: 'object-del', arguments: { id: 'iothread-net0' } },
      { execute: 'object-del', arguments: { id: 'm0-net0' } },
      { execute: 'object-del', arguments: { id: 'redire0-net0' } },
      { execute: 'object-del', arguments: { id: 'redire1-net0' } },
      { execute: 'x-colo-lost-heartbeat' },
    ]);
    // All of it: the mirror job first, the resync node, the dead secondary's sockets re-created, the guest running.
    assert.deepEqual(names(all), [
      'block-job-cancel',
      'block-job-dismiss',
      'x-blockdev-change',
      'blockdev-del',
      'blockdev-del',
      'blockdev-del',
      'object-del',
      'object-del',
      'object-del',
      'object-del',
      'object-del',
      'x-colo-lost-heartbeat',
      'chardev-remove',
      'chardev-add',
      'chardev-remove',
      'chardev-add',
      'cont',
    ]);
    const before = recipeCommands(renderPrimaryTeardown(spec, vm, initialPlacement(vm), { resetPeerSockets: false }));
    assert.ok(!before.some((c) => c.execute.startsWith('chardev-')), 'before a switchover the sockets stay');
  });

  test('multi-NIC: every NIC handled, lost-heartbeat exactly once', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const sec = only(renderFailoverSecondary(vm)).commands;
    assert.equal(sec.filter((c) => c.execute === 'x-colo-lost-heartbeat').length, 1);
    assert.deepEqual(
      sec.filter((c) => c.execute === 'chardev-remove').map((c) => c.arguments?.['id']),
      ['red1-lan', 'red0-lan', 'red1-wan', 'red0-wan'],
    );
    const pri = recipeCommands(renderPrimaryTeardown(spec, vm, initialPlacement(vm), { resetPeerSockets: true }));
    const heartbeat = pri.findIndex((c) => c.execute === 'x-colo-lost-heartbeat');
    assert.ok(
      pri.every((c, i) => !['x-blockdev-change', 'object-del'].includes(c.execute) || i < heartbeat),
      'lost-heartbeat after the wiring is gone',
    );
    assert.equal(pri.filter((c) => c.execute === 'x-colo-lost-heartbeat').length, 1);
    assert.equal(pri.filter((c) => c.execute === 'x-blockdev-change').length, 2);
    assert.equal(pri.filter((c) => c.execute === 'object-del').length, 10);
  });
});

describe('renderCheckpointUpdate', () => {
  test('without a previous policy: everything', () => {
    const vm = onlyVm(labSpec());
    assert.deepEqual(only(renderCheckpointUpdate(vm)).commands, [
      { execute: 'migrate-set-parameters', arguments: { 'x-checkpoint-delay': 2000, 'max-bandwidth': 1073741824 } },
      { execute: 'qom-set', arguments: { path: '/objects/comp-net0', property: 'compare_timeout', value: 3000 } },
      { execute: 'qom-set', arguments: { path: '/objects/comp-net0', property: 'expired_scan_cycle', value: 3000 } },
      { execute: 'qom-set', arguments: { path: '/objects/comp-net0', property: 'max_queue_size', value: 1024 } },
    ]);
  });

  test('only what changed; nothing changed -> no phase', () => {
    const vm = onlyVm(fleetSpec());
    const prev = { ...vm.checkpoint };
    assert.deepEqual(renderCheckpointUpdate(vm, prev), []);
    vm.checkpoint.intervalMs = 5000;
    assert.deepEqual(only(renderCheckpointUpdate(vm, prev)).commands, [
      { execute: 'migrate-set-parameters', arguments: { 'x-checkpoint-delay': 5000 } },
    ]);
    vm.checkpoint = { ...prev, maxQueueSize: 4096 };
    assert.deepEqual(
      only(renderCheckpointUpdate(vm, prev)).commands.map((c) => c.arguments),
      [
        { path: '/objects/comp-lan', property: 'max_queue_size', value: 4096 },
        { path: '/objects/comp-wan', property: 'max_queue_size', value: 4096 },
      ],
    );
  });
});

describe('renderVmRecipes', () => {
  const qemu = () => ({ dialect: d72, kvmAvailable: false });

  test('initial placement: both argvs, image prep sized from the primary', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const r = renderVmRecipes(spec, vm, { qemu });
    assert.equal(stepOf(r.apply, 'primary-start').host, 'a');
    assert.equal(stepOf(r.apply, 'secondary-start').host, 'b');
    assert.ok(startArgv(stepOf(r.apply, 'primary-start'))[0]?.endsWith('qemu-system-x86_64'));
    assert.ok(startArgv(stepOf(r.apply, 'secondary-start')).includes('-incoming'));
    const prep = scriptOf(stepOf(r.apply, 'secondary-images'), 'secondary-images').body;
    assert.ok(prep.kind === 'batch');
    assert.equal(prep.commands.length, 8); // mkdir, chmod, then per image a create and a chmod 0600
    // Every size is the primary's, read by the disk-sizes recipe in the same step.
    const creates = prep.commands.filter((c) => c[1] === 'create');
    assert.equal(creates.length, 3);
    for (const c of creates) assert.deepEqual((c.at(-1) as { fact: unknown }).fact, diskSizeRef(vm.disks[0]!));
    assert.equal(qmpOf(stepOf(r.apply, 'secondary-images'), 'disk-sizes').hosts.primary, 'a');
  });

  test('sizes the spec does not state: read from the primary as well, only the spec-stated ones compared', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const images = stepOf(renderVmRecipes(spec, vm, { qemu }).apply, 'secondary-images');
    const prep = scriptOf(images, 'secondary-images').body;
    assert.equal(prep.kind === 'batch' && prep.commands.length, 16);
    const sizes = qmpOf(images, 'disk-sizes').ops[0];
    assert.ok(sizes?.op === 'check');
    const stated = vm.disks.filter((d) => d.sizeBytes !== undefined).length;
    assert.equal(sizes.fail.length, vm.disks.length + stated);
  });

  test('promoted primary: no primary argv; secondary on the old primary host; dialect per host', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const d92 = dialectForVersion({ major: 9, minor: 2, micro: 0 });
    const r = renderVmRecipes(spec, vm, {
      qemu: (h) => ({ dialect: h === 'a' ? d92 : d72, kvmAvailable: false }),
      placement: placementAfterFailoverToSecondary(initialPlacement(vm)),
    });
    assert.ok(!r.apply.some((s) => s.step === 'primary-start'));
    const secondary = stepOf(r.apply, 'secondary-start');
    assert.equal(secondary.host, 'a');
    assert.ok(startArgv(secondary).some((a) => a.endsWith('reconnect-ms=1000')));
    assert.deepEqual(recipeCommands(qmpOf(secondary, 'secondary-prepare'))[0], X_COLO);
  });
});
