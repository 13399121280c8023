import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dialectForVersion,
  initialPlacement,
  placementAfterFailoverToSecondary,
  renderNetdev,
  renderPrimaryArgv,
  renderSecondaryArgv,
  resolveAccel,
  type ArgvOptions,
} from '../../../src/render/index.ts';
import type { Spec, VmSpec } from '../../../src/spec/types.ts';
import { fleetSpec, labSpec, onlyVm } from './spec-fixtures.ts';

const v72: ArgvOptions = { dialect: dialectForVersion({ major: 7, minor: 2, micro: 22 }), kvmAvailable: false };
const v92: ArgvOptions = { dialect: dialectForVersion({ major: 9, minor: 2, micro: 0 }), kvmAvailable: false };

/** Values following each occurrence of `flag`. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? '<missing>'] : []));
}

function lab(): { spec: Spec; vm: VmSpec } {
  const spec = labSpec();
  return { spec, vm: onlyVm(spec) };
}

describe('renderPrimaryArgv', () => {
  test('the loopback lab primary, exactly', () => {
    const { spec, vm } = lab();
    const d = '/tmp/colo-lab/a/lab';
    assert.deepEqual(renderPrimaryArgv(spec, vm, initialPlacement(vm), v72), [
      '/usr/bin/qemu-system-x86_64',
      '-name',
      'lab',
      '-nodefaults',
      '-display',
      'none',
      '-machine',
      'pc,accel=tcg',
      '-cpu',
      'qemu64',
      '-m',
      '128M',
      '-smp',
      '1',
      '-L',
      '/usr/share/seabios',
      '-L',
      '/usr/share/qemu',
      '-daemonize',
      '-pidfile',
      `${d}/qemu.pid`,
      '-qmp',
      `unix:${d}/qmp.sock,server=on,wait=off`,
      '-serial',
      `file:${d}/console.log`,
      '-D',
      `${d}/qemu.log`,
      '-sandbox',
      'on,obsolete=deny,resourcecontrol=deny',
      '-kernel',
      '/srv/guest/vmlinuz',
      '-initrd',
      '/srv/guest/initrd.img',
      '-append',
      'console=ttyS0 quiet panic=1',
      '-netdev',
      'user,id=net0,hostfwd=tcp:127.0.0.11:8080-:80',
      '-device',
      'virtio-net-pci,id=nic-net0,netdev=net0,mac=52:54:00:12:34:56',
      '-chardev',
      'socket,id=mirror0-net0,host=127.0.0.11,port=9003,server=on,wait=off',
      '-chardev',
      'socket,id=compare1-net0,host=127.0.0.11,port=9004,server=on,wait=off',
      '-chardev',
      `socket,id=compare0-net0,path=${d}/compare0-net0.sock,server=on,wait=off`,
      '-chardev',
      `socket,id=compare0-0-net0,path=${d}/compare0-net0.sock`,
      '-chardev',
      `socket,id=compare_out-net0,path=${d}/compare_out-net0.sock,server=on,wait=off`,
      '-chardev',
      `socket,id=compare_out0-net0,path=${d}/compare_out-net0.sock`,
      '-drive',
      'if=none,id=colo-disk0,node-name=quorum-disk0,driver=quorum,read-pattern=fifo,vote-threshold=1,' +
        'children.0.file.filename=/srv/guest/disk0.qcow2,children.0.driver=qcow2',
      '-device',
      'virtio-blk-pci,id=blk-disk0,drive=colo-disk0',
    ]);
  });

  test('starts running (no -S), and has no filters or colo-compare (mirror start)', () => {
    const { spec, vm } = lab();
    const argv = renderPrimaryArgv(spec, vm, initialPlacement(vm), v72);
    assert.ok(!argv.includes('-S'));
    assert.ok(!argv.includes('-incoming'));
    assert.deepEqual(values(argv, '-object'), []);
  });

  test('accel: auto follows KVM availability; explicit values stay', () => {
    const { spec, vm } = lab();
    assert.deepEqual(
      values(renderPrimaryArgv(spec, vm, initialPlacement(vm), { ...v72, kvmAvailable: true }), '-machine'),
      ['pc,accel=kvm'],
    );
    vm.machine.accel = 'tcg';
    assert.equal(resolveAccel(vm, true), 'tcg');
    vm.machine.accel = 'kvm';
    assert.equal(resolveAccel(vm, false), 'kvm');
  });

  test('disk boot: no -kernel, bootindex on the first disk only; scsi gets a controller', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const argv = renderPrimaryArgv(spec, vm, initialPlacement(vm), v72);
    assert.ok(!argv.includes('-kernel'));
    assert.deepEqual(
      values(argv, '-device').filter((d) => /^(ide-hd|scsi-hd|virtio-scsi-pci)/.test(d)),
      [
        'virtio-scsi-pci,id=colo-scsi',
        'ide-hd,id=blk-root,drive=colo-root,bootindex=1',
        'scsi-hd,id=blk-data,drive=colo-data,bus=colo-scsi.0',
      ],
    );
    assert.ok(
      values(argv, '-drive').some((d) =>
        d.endsWith('children.0.file.filename=/images/db-data.raw,children.0.driver=raw'),
      ),
    );
  });

  test('one set of six proxy chardevs per NIC, servers on the primary replication address', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const chardevs = values(renderPrimaryArgv(spec, vm, initialPlacement(vm), v72), '-chardev');
    assert.equal(chardevs.length, 12);
    assert.ok(chardevs.includes('socket,id=mirror0-wan,host=198.18.1.1,port=10004,server=on,wait=off'));
    assert.ok(chardevs.includes('socket,id=compare1-wan,host=198.18.1.1,port=10005,server=on,wait=off'));
    assert.ok(
      chardevs.every((c) => !c.includes('wait=on')),
      'start-up never blocks on a client',
    );
  });

  test('extra args: both, then the role', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const argv = renderPrimaryArgv(spec, vm, initialPlacement(vm), v72);
    assert.deepEqual(argv.slice(-4), ['-rtc', 'base=utc', '-trace', 'colo_vm_state_change']);
    const sec = renderSecondaryArgv(spec, vm, initialPlacement(vm), v72);
    assert.deepEqual(sec.slice(-4), ['-rtc', 'base=utc', '-trace', 'colo_receive_message']);
  });

  test('commas in QemuOpts values are doubled; -append and -serial file: stay literal', () => {
    const { spec, vm } = lab();
    vm.disks[0]!.image = '/srv/a,b.qcow2';
    spec.hosts['a']!.workDir = '/srv/x,y';
    vm.boot = { kind: 'kernel', kernel: '/k', append: 'a=1,2 b' };
    const argv = renderPrimaryArgv(spec, vm, initialPlacement(vm), v72);
    assert.ok(values(argv, '-drive')[0]?.includes('children.0.file.filename=/srv/a,,b.qcow2,children.0.driver'));
    assert.deepEqual(values(argv, '-qmp'), ['unix:/srv/x,,y/lab/qmp.sock,server=on,wait=off']);
    assert.deepEqual(values(argv, '-serial'), ['file:/srv/x,y/lab/console.log']);
    assert.deepEqual(values(argv, '-append'), ['a=1,2 b']);
    assert.ok(!argv.includes('-initrd'));
  });
});

describe('renderNetdev', () => {
  test('user: host forwards bind the host replication address unless hostAddress is given', () => {
    const spec = labSpec();
    const nic = onlyVm(spec).netdevs[0]!;
    assert.equal(renderNetdev(nic, spec.hosts['b']!), 'user,id=net0,hostfwd=tcp:127.0.0.12:8080-:80');
    nic.backend = {
      kind: 'user',
      hostForwards: [
        { protocol: 'tcp', hostAddress: '0.0.0.0', hostPort: 2222, guestPort: 22 },
        { protocol: 'udp', hostPort: 5353, guestPort: 53 },
      ],
    };
    assert.equal(
      renderNetdev(nic, spec.hosts['a']!),
      'user,id=net0,hostfwd=tcp:0.0.0.0:2222-:22,hostfwd=udp:127.0.0.11:5353-:53',
    );
    nic.backend = { kind: 'user', hostForwards: [] };
    assert.equal(renderNetdev(nic, spec.hosts['a']!), 'user,id=net0');
  });

  test('tap and bridge: vhost=off (COLO filters need the userspace path)', () => {
    const spec = fleetSpec();
    const [lan, wan] = onlyVm(spec).netdevs;
    const h = spec.hosts['h1']!;
    assert.equal(renderNetdev(lan!, h), 'tap,id=lan,vhost=off,ifname=tap-db0,script=no,downscript=no');
    assert.equal(renderNetdev(wan!, h), 'tap,id=wan,vhost=off,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper');
    lan!.backend = { kind: 'tap', script: '/etc/qemu-ifup', downscript: '/etc/qemu-ifdown' };
    assert.equal(renderNetdev(lan!, h), 'tap,id=lan,vhost=off,script=/etc/qemu-ifup,downscript=/etc/qemu-ifdown');
    wan!.backend = { kind: 'bridge', bridge: 'br1', helper: '/opt/helper' };
    assert.equal(renderNetdev(wan!, h), 'tap,id=wan,vhost=off,br=br1,helper=/opt/helper');
  });
});

describe('renderSecondaryArgv', () => {
  test('the loopback lab secondary on 7.2, exactly (from the primary argv it differs only in its tail)', () => {
    const { spec, vm } = lab();
    const d = '/tmp/colo-lab/b/lab';
    const argv = renderSecondaryArgv(spec, vm, initialPlacement(vm), v72);
    assert.deepEqual(values(argv, '-pidfile'), [`${d}/qemu.pid`]);
    assert.deepEqual(values(argv, '-netdev'), ['user,id=net0,hostfwd=tcp:127.0.0.12:8080-:80']);
    const i = argv.indexOf('-chardev');
    assert.deepEqual(argv.slice(i), [
      '-chardev',
      'socket,id=red0-net0,host=127.0.0.11,port=9003,reconnect=1',
      '-chardev',
      'socket,id=red1-net0,host=127.0.0.11,port=9004,reconnect=1',
      '-object',
      'filter-redirector,id=f1-net0,netdev=net0,queue=tx,indev=red0-net0,vnet_hdr_support=on',
      '-object',
      'filter-redirector,id=f2-net0,netdev=net0,queue=rx,outdev=red1-net0,vnet_hdr_support=on',
      '-object',
      'filter-rewriter,id=rew-net0,netdev=net0,queue=all,vnet_hdr_support=on',
      '-drive',
      `if=none,id=parent-disk0,driver=qcow2,file.filename=${d}/disk0-base.qcow2`,
      '-drive',
      `if=none,id=childs-disk0,driver=replication,mode=secondary,top-id=colo-disk0,file.driver=qcow2,` +
        `file.file.filename=${d}/disk0-active.qcow2,file.backing.driver=qcow2,` +
        `file.backing.file.filename=${d}/disk0-hidden.qcow2,file.backing.backing=parent-disk0`,
      '-drive',
      'if=none,id=colo-disk0,node-name=quorum-disk0,driver=quorum,read-pattern=fifo,vote-threshold=1,' +
        'children.0=childs-disk0',
      '-device',
      'virtio-blk-pci,id=blk-disk0,drive=colo-disk0',
      '-incoming',
      'tcp:127.0.0.12:9998',
    ]);
    // Same head as the primary apart from the work dir.
    const primary = renderPrimaryArgv(spec, vm, initialPlacement(vm), v72);
    const head = (a: string[]) =>
      a.slice(0, a.indexOf('-netdev')).map((x) => x.replaceAll('/a/lab', '/X/lab').replaceAll('/b/lab', '/X/lab'));
    assert.deepEqual(head(argv), head(primary));
  });

  test('dialect: reconnect=1 before 9.2, reconnect-ms=1000 from 9.2', () => {
    const { spec, vm } = lab();
    const c72 = values(renderSecondaryArgv(spec, vm, initialPlacement(vm), v72), '-chardev');
    const c92 = values(renderSecondaryArgv(spec, vm, initialPlacement(vm), v92), '-chardev');
    assert.ok(c72.every((c) => c.endsWith(',reconnect=1')));
    assert.ok(c92.every((c) => c.endsWith(',reconnect-ms=1000')));
    assert.deepEqual(
      c92.map((c) => c.replace(',reconnect-ms=1000', '')),
      c72.map((c) => c.replace(',reconnect=1', '')),
    );
  });

  test('vnet_hdr_support only when the NIC is virtio (vnetHdr)', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const objs = values(renderSecondaryArgv(spec, vm, initialPlacement(vm), v72), '-object');
    assert.equal(objs.length, 6);
    assert.ok(objs.every((o) => !o.includes('vnet_hdr_support')));
    vm.netdevs[1]!.vnetHdr = true;
    const objs2 = values(renderSecondaryArgv(spec, vm, initialPlacement(vm), v72), '-object');
    assert.deepEqual(
      objs2.map((o) => o.includes('vnet_hdr_support=on')),
      [false, false, false, true, true, true],
    );
  });

  test('secondaryDir holds base/active/hidden of that disk', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    const drives = values(renderSecondaryArgv(spec, vm, initialPlacement(vm), v72), '-drive');
    assert.ok(drives.includes('if=none,id=parent-data,driver=qcow2,file.filename=/dev/shm/colo/db/data-base.qcow2'));
    assert.ok(drives.some((d) => d.includes('file.file.filename=/dev/shm/colo/db/data-active.qcow2')));
  });

  test(
    'after a failover to the secondary, the next secondary runs on the old primary host and connects to the ' +
      'new primary',
    () => {
      const { spec, vm } = lab();
      const p = placementAfterFailoverToSecondary(initialPlacement(vm));
      const argv = renderSecondaryArgv(spec, vm, p, v72);
      assert.deepEqual(values(argv, '-incoming'), ['tcp:127.0.0.11:9998']);
      assert.ok(values(argv, '-chardev').every((c) => c.includes('host=127.0.0.12,')));
      assert.deepEqual(values(argv, '-pidfile'), ['/tmp/colo-lab/a/lab/qemu.pid']);
    },
  );

  test('IPv6 replication addresses are bracketed in -incoming', () => {
    const { spec, vm } = lab();
    spec.hosts['b']!.replicationAddress = 'fd00::2';
    assert.deepEqual(values(renderSecondaryArgv(spec, vm, initialPlacement(vm), v72), '-incoming'), [
      'tcp:[fd00::2]:9998',
    ]);
  });
});
