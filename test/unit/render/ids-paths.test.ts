import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diskIds, nicIds, tooLongSocketPaths, vmIds, vmPaths } from '../../../src/render/index.ts';
import { fleetSpec, labSpec, onlyVm } from './spec-fixtures.ts';

describe('ids', () => {
  test('per-disk ids derive from the disk id', () => {
    const vm = onlyVm(labSpec());
    const d = diskIds(vm.disks[0]!);
    assert.deepEqual(d, {
      diskId: 'disk0',
      quorum: 'colo-disk0',
      quorumNode: 'quorum-disk0',
      device: 'blk-disk0',
      parent: 'parent-disk0',
      childs: 'childs-disk0',
      nbd: 'nbd-disk0',
      mirrorTarget: 'resync-nbd-disk0',
      replication: 'replication-disk0',
      mirrorJob: 'resync-disk0',
      exportName: 'lab-disk0',
    });
  });

  test('per-NIC ids derive from the netdev id, docs/COLO-FT.txt names with a suffix', () => {
    const n = nicIds(onlyVm(labSpec()).netdevs[0]!);
    assert.equal(n.netdevId, 'net0');
    assert.equal(n.device, 'nic-net0');
    assert.equal(n.virtioBackendPath, '/machine/peripheral/nic-net0/virtio-backend');
    assert.deepEqual(
      [n.mirror, n.compareIn, n.primaryIn, n.primaryInClient, n.compareOut, n.compareOutClient],
      ['mirror0-net0', 'compare1-net0', 'compare0-net0', 'compare0-0-net0', 'compare_out-net0', 'compare_out0-net0'],
    );
    assert.deepEqual(
      [n.filterMirror, n.redirectorOut, n.redirectorIn, n.iothread, n.compare],
      ['m0-net0', 'redire0-net0', 'redire1-net0', 'iothread-net0', 'comp-net0'],
    );
    assert.deepEqual(
      [n.secMirror, n.secCompare, n.secRedirectTx, n.secRedirectRx, n.rewriter],
      ['red0-net0', 'red1-net0', 'f1-net0', 'f2-net0', 'rew-net0'],
    );
  });

  test('a disk and a NIC with the same user id do not clash in any QEMU namespace', () => {
    const vm = onlyVm(labSpec());
    const disk = { ...vm.disks[0]!, id: 'x' };
    const nic = { ...vm.netdevs[0]!, id: 'x' };
    const d = diskIds(disk);
    const n = nicIds(nic);
    const all = [
      d.quorum,
      d.quorumNode,
      d.device,
      d.parent,
      d.childs,
      d.nbd,
      d.mirrorTarget,
      d.replication,
      d.mirrorJob,
      n.device,
      n.mirror,
      n.compareIn,
      n.primaryIn,
      n.primaryInClient,
      n.compareOut,
      n.compareOutClient,
      n.filterMirror,
      n.redirectorOut,
      n.redirectorIn,
      n.iothread,
      n.compare,
      n.secMirror,
      n.secCompare,
      n.secRedirectTx,
      n.secRedirectRx,
      n.rewriter,
    ];
    assert.equal(new Set(all).size, all.length);
  });

  test('vmIds lists disks and NICs in spec order', () => {
    const ids = vmIds(onlyVm(fleetSpec()));
    assert.deepEqual(
      ids.disks.map((d) => d.quorum),
      ['colo-root', 'colo-data'],
    );
    assert.deepEqual(
      ids.nics.map((n) => n.compare),
      ['comp-lan', 'comp-wan'],
    );
  });
});

describe('vmPaths', () => {
  test('everything lives in <workDir>/<vm> on the given host', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = vmPaths(spec, vm, 'b');
    assert.equal(p.dir, '/tmp/colo-lab/b/lab');
    assert.equal(p.qmpSocket, '/tmp/colo-lab/b/lab/qmp.sock');
    assert.equal(p.pidFile, '/tmp/colo-lab/b/lab/qemu.pid');
    assert.equal(p.consoleLog, '/tmp/colo-lab/b/lab/console.log');
    assert.equal(p.qemuLog, '/tmp/colo-lab/b/lab/qemu.log');
    assert.deepEqual(p.disks, [
      {
        diskId: 'disk0',
        dir: '/tmp/colo-lab/b/lab',
        base: '/tmp/colo-lab/b/lab/disk0-base.qcow2',
        active: '/tmp/colo-lab/b/lab/disk0-active.qcow2',
        hidden: '/tmp/colo-lab/b/lab/disk0-hidden.qcow2',
      },
    ]);
    assert.deepEqual(p.nics, [
      {
        netdevId: 'net0',
        primaryInSocket: '/tmp/colo-lab/b/lab/compare0-net0.sock',
        compareOutSocket: '/tmp/colo-lab/b/lab/compare_out-net0.sock',
      },
    ]);
    assert.equal(vmPaths(spec, vm, 'a').dir, '/tmp/colo-lab/a/lab');
  });

  test('a disk with secondaryDir keeps its images in a per-VM subdirectory there', () => {
    const spec = fleetSpec();
    const p = vmPaths(spec, onlyVm(spec), 'h2');
    assert.equal(p.disks[0]?.dir, '/var/lib/colo/db');
    assert.equal(p.disks[1]?.dir, '/dev/shm/colo/db');
    assert.equal(p.disks[1]?.hidden, '/dev/shm/colo/db/data-hidden.qcow2');
  });

  test('a trailing slash in workDir does not double', () => {
    const spec = labSpec();
    spec.hosts['a']!.workDir = '/srv/colo/';
    assert.equal(vmPaths(spec, onlyVm(spec), 'a').qmpSocket, '/srv/colo/lab/qmp.sock');
  });

  test('unknown host is an error, not a path with "undefined" in it', () => {
    const spec = labSpec();
    assert.throws(() => vmPaths(spec, onlyVm(spec), 'nope'), /unknown host "nope"/);
  });

  test('tooLongSocketPaths flags unix socket paths over 107 bytes', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    assert.deepEqual(tooLongSocketPaths(vmPaths(spec, vm, 'a')), []);
    spec.hosts['a']!.workDir = `/${'d'.repeat(95)}`;
    const long = tooLongSocketPaths(vmPaths(spec, vm, 'a'));
    assert.equal(long.length, 3);
    assert.ok(long.every((p) => p.length > 107));
  });
});
