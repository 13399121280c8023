/** src/plan/argv-diff.ts: why two QEMU command lines differ, in spec terms. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { argvPairs, describeArgvChanges } from '../../../src/plan/argv-diff.ts';
import { primaryArgv, secondaryArgv, vmOf, webSpec } from './plan-fixtures.ts';

const Q = '/usr/bin/qemu-system-x86_64';

describe('argvPairs', () => {
  test('options with values, flags without, positional arguments; argv[0] skipped', () => {
    assert.deepEqual(
      argvPairs([Q, '-name', 'web', '-nodefaults', '-display', 'none', '-daemonize', '-S', 'disk.img']),
      [
        ['-name', 'web'],
        ['-nodefaults', ''],
        ['-display', 'none'],
        ['-daemonize', ''],
        ['-S', 'disk.img'],
      ],
    );
    assert.deepEqual(argvPairs([Q, 'disk.img', '-snapshot']), [
      ['', 'disk.img'],
      ['-snapshot', ''],
    ]);
    assert.deepEqual(argvPairs([Q]), []);
    assert.deepEqual(argvPairs([]), []);
  });
});

describe('describeArgvChanges', () => {
  test('identical argv: no changes', () => {
    const spec = webSpec();
    const a = primaryArgv(spec, vmOf(spec), 'alpha', 'beta');
    assert.deepEqual(describeArgvChanges(a, [...a]), []);
  });

  test('the same options in another order: no changes', () => {
    assert.deepEqual(describeArgvChanges([Q, '-m', '128M', '-smp', '1'], [Q, '-smp', '1', '-m', '128M']), []);
  });

  test('memory change of a rendered primary: only machine.memory, forcing replacement', () => {
    const a = primaryArgv(webSpec(), vmOf(webSpec()), 'alpha', 'beta');
    const b = primaryArgv(webSpec({ memory: '1G' }), vmOf(webSpec({ memory: '1G' })), 'alpha', 'beta');
    assert.deepEqual(describeArgvChanges(a, b), [
      { path: 'machine.memory', before: '128M', after: '1024M', forcesReplacement: true },
    ]);
  });

  test('QEMU binary changed', () => {
    assert.deepEqual(describeArgvChanges([Q, '-m', '1M'], ['/opt/qemu/bin/qemu-system-x86_64', '-m', '1M']), [
      { path: 'hosts.qemu.binary', before: Q, after: '/opt/qemu/bin/qemu-system-x86_64', forcesReplacement: true },
    ]);
  });

  test('options added and removed: undefined on the missing side', () => {
    assert.deepEqual(describeArgvChanges([Q, '-m', '1M'], [Q, '-m', '1M', '-trace', 'colo_vm_state_change']), [
      { path: 'extraArgs (-trace)', before: undefined, after: 'colo_vm_state_change', forcesReplacement: true },
    ]);
    assert.deepEqual(describeArgvChanges([Q, '-m', '1M', '-S'], [Q, '-m', '1M']), [
      { path: 'extraArgs (-S)', before: '', after: undefined, forcesReplacement: true },
    ]);
    assert.deepEqual(describeArgvChanges([Q, 'a.img'], [Q, 'b.img']), [
      { path: 'extraArgs (argument)', before: 'a.img', after: 'b.img', forcesReplacement: true },
    ]);
  });

  test('repeated options: only the differing occurrences, grouped per option as lists', () => {
    const before = [
      Q,
      '-device',
      'virtio-net-pci,id=nic-a',
      '-device',
      'virtio-blk-pci,id=blk-a',
      '-device',
      'virtio-blk-pci,id=blk-b',
    ];
    const after = [
      Q,
      '-device',
      'virtio-net-pci,id=nic-a',
      '-device',
      'virtio-blk-pci,id=blk-c',
      '-device',
      'virtio-blk-pci,id=blk-d',
      '-device',
      'virtio-rng-pci',
    ];
    assert.deepEqual(describeArgvChanges(before, after), [
      {
        path: 'disks/netdevs',
        before: ['virtio-blk-pci,id=blk-a', 'virtio-blk-pci,id=blk-b'],
        after: ['virtio-blk-pci,id=blk-c', 'virtio-blk-pci,id=blk-d', 'virtio-rng-pci'],
        forcesReplacement: true,
      },
    ]);
  });

  test('a duplicated identical option counts once per occurrence', () => {
    assert.deepEqual(describeArgvChanges([Q, '-L', '/a', '-L', '/a'], [Q, '-L', '/a']), [
      { path: 'hosts.qemu.firmware', before: '/a', after: undefined, forcesReplacement: true },
    ]);
  });

  test('option -> spec field names', () => {
    const cases: [string, string][] = [
      ['-smp', 'machine.smp'],
      ['-cpu', 'machine.cpu'],
      ['-machine', 'machine.type/accel'],
      ['-kernel', 'boot.kernel'],
      ['-initrd', 'boot.initrd'],
      ['-append', 'boot.append'],
      ['-drive', 'disks'],
      ['-netdev', 'netdevs'],
      ['-chardev', 'ports'],
      ['-incoming', 'ports.migration'],
      ['-object', 'netdevs (proxy objects)'],
    ];
    for (const [opt, field] of cases) {
      assert.deepEqual(
        describeArgvChanges([Q, opt, 'x'], [Q, opt, 'y']),
        [{ path: field, before: 'x', after: 'y', forcesReplacement: true }],
        opt,
      );
    }
  });

  test('accel of a rendered secondary: machine.type/accel', () => {
    const spec = webSpec();
    const vm = vmOf(spec);
    const tcg = secondaryArgv(spec, vm, 'beta', 'alpha');
    const kvm = tcg.map((a) => a.replace('accel=tcg', 'accel=kvm'));
    const machine = tcg[tcg.indexOf('-machine') + 1]!;
    assert.match(machine, /,accel=tcg$/);
    assert.deepEqual(describeArgvChanges(tcg, kvm), [
      { path: 'machine.type/accel', before: machine, after: machine.replace('tcg', 'kvm'), forcesReplacement: true },
    ]);
  });
});
