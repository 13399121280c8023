/** QEMU command lines of a COLO pair's two roles as argv arrays (never shell strings); pure. As in
 * docs/COLO-FT.txt with a "mirror start": the primary runs with its proxy chardevs but no filters or
 * colo-compare (added over QMP at switchover); the secondary waits with -incoming. */
import type { Dialect } from './dialect.ts';
import type { DiskSpec, HostSpec, NetdevSpec, Spec, VmSpec } from '../spec/types.ts';
import { diskIds, nicIds, SCSI_CONTROLLER_ID } from './ids.ts';
import { hostOf, vmPaths, type VmPaths } from './paths.ts';
import type { Placement } from './placement.ts';
import { confinementArgs } from './confinement.ts';
import { hostPort, optValue, opts } from './qemu-syntax.ts';
import { incomingTlsArgs, tlsCredsArgs, tlsOpt } from './tls.ts';

export interface ArgvOptions {
  /** Dialect of the QEMU binary on the host this argv runs on. */
  dialect: Dialect;
  /** KVM is usable on that host; decides accel auto. */
  kvmAvailable: boolean;
}

export const DEFAULT_BRIDGE_HELPER = '/usr/lib/qemu/qemu-bridge-helper';

export function resolveAccel(vm: VmSpec, kvmAvailable: boolean): 'kvm' | 'tcg' {
  const a = vm.machine.accel;
  if (a === 'auto') return kvmAvailable ? 'kvm' : 'tcg';
  return a;
}

function commonHead(host: HostSpec, vm: VmSpec, paths: VmPaths, o: ArgvOptions): string[] {
  const argv = [
    host.qemu.binary,
    '-name',
    optValue(vm.name),
    '-nodefaults',
    '-display',
    'none',
    '-machine',
    opts(optValue(vm.machine.type), [['accel', resolveAccel(vm, o.kvmAvailable)]]),
    '-cpu',
    vm.machine.cpu,
    '-m',
    `${vm.machine.memoryMiB}M`,
    '-smp',
    String(vm.machine.smp),
  ];
  for (const dir of host.qemu.firmware) argv.push('-L', dir);
  argv.push(
    '-daemonize',
    '-pidfile',
    paths.pidFile,
    '-qmp',
    `unix:${optValue(paths.qmpSocket)},server=on,wait=off`,
    '-serial',
    `file:${paths.consoleLog}`,
    '-D',
    paths.qemuLog,
    ...confinementArgs(host, o),
  );
  if (vm.boot.kind === 'kernel') {
    argv.push('-kernel', vm.boot.kernel);
    if (vm.boot.initrd !== undefined) argv.push('-initrd', vm.boot.initrd);
    if (vm.boot.append !== undefined) argv.push('-append', vm.boot.append);
  }
  return argv;
}

/** -netdev value for one NIC on the given host. */
export function renderNetdev(netdev: NetdevSpec, host: HostSpec): string {
  const b = netdev.backend;
  switch (b.kind) {
    case 'user': {
      const fwds = b.hostForwards.map(
        (f) =>
          [
            'hostfwd',
            `${f.protocol}:${f.hostAddress ?? host.replicationAddress}:${f.hostPort}-:${f.guestPort}`,
          ] as const,
      );
      return opts('user', [['id', netdev.id], ...fwds]);
    }
    case 'tap': {
      const pairs: [string, string][] = [
        ['id', netdev.id],
        ['vhost', 'off'],
      ];
      if (b.ifname !== undefined) pairs.push(['ifname', b.ifname]);
      pairs.push(['script', b.script ?? 'no'], ['downscript', b.downscript ?? 'no']);
      return opts('tap', pairs);
    }
    case 'bridge':
      // -netdev bridge has no vhost option; tap with helper+br is the same backend and takes vhost=off.
      return opts('tap', [
        ['id', netdev.id],
        ['vhost', 'off'],
        ['br', b.bridge],
        ['helper', b.helper ?? DEFAULT_BRIDGE_HELPER],
      ]);
  }
}

function nicArgs(vm: VmSpec, host: HostSpec): string[] {
  const argv: string[] = [];
  for (const n of vm.netdevs) {
    argv.push('-netdev', renderNetdev(n, host));
    argv.push(
      '-device',
      opts(optValue(n.model), [
        ['id', nicIds(n).device],
        ['netdev', n.id],
        ['mac', n.mac],
      ]),
    );
  }
  return argv;
}

function diskDeviceArgs(vm: VmSpec): string[] {
  const argv: string[] = [];
  if (vm.disks.some((d) => d.interface === 'scsi')) argv.push('-device', `virtio-scsi-pci,id=${SCSI_CONTROLLER_ID}`);
  vm.disks.forEach((disk, i) => {
    const ids = diskIds(disk);
    const pairs: [string, string | number][] = [
      ['id', ids.device],
      ['drive', ids.quorum],
    ];
    if (disk.interface === 'scsi') pairs.push(['bus', `${SCSI_CONTROLLER_ID}.0`]);
    if (vm.boot.kind === 'disk' && i === 0) pairs.push(['bootindex', 1]);
    argv.push('-device', opts(deviceModel(disk), pairs));
  });
  return argv;
}

function deviceModel(disk: DiskSpec): string {
  switch (disk.interface) {
    case 'virtio':
      return 'virtio-blk-pci';
    case 'ide':
      return 'ide-hd';
    case 'scsi':
      return 'scsi-hd';
  }
}

const QUORUM: ReadonlyArray<readonly [string, string | number]> = [
  ['driver', 'quorum'],
  ['read-pattern', 'fifo'],
  ['vote-threshold', 1],
];

/** The primary's QEMU argv (runs on placement.primary). */
export function renderPrimaryArgv(spec: Spec, vm: VmSpec, placement: Placement, o: ArgvOptions): string[] {
  const host = hostOf(spec, placement.primary);
  const paths = vmPaths(spec, vm, placement.primary);
  const argv = commonHead(host, vm, paths, o);
  argv.push(...tlsCredsArgs(host, vm), ...nicArgs(vm, host));
  vm.netdevs.forEach((n, i) => {
    const ids = nicIds(n);
    const nicPorts = vm.ports.nics[i];
    const nicPaths = paths.nics[i];
    if (!nicPorts || nicPorts.netdevId !== n.id || !nicPaths)
      throw new Error(`vm ${vm.name}: no ports for netdev ${n.id}`);
    const addr = host.replicationAddress;
    argv.push(
      '-chardev',
      opts('socket', [
        ['id', ids.mirror],
        ['host', addr],
        ['port', nicPorts.mirror],
        ['server', 'on'],
        ['wait', 'off'],
        ...tlsOpt(vm, 'server'),
      ]),
      '-chardev',
      opts('socket', [
        ['id', ids.compareIn],
        ['host', addr],
        ['port', nicPorts.compare],
        ['server', 'on'],
        ['wait', 'off'],
        ...tlsOpt(vm, 'server'),
      ]),
      '-chardev',
      opts('socket', [
        ['id', ids.primaryIn],
        ['path', nicPaths.primaryInSocket],
        ['server', 'on'],
        ['wait', 'off'],
      ]),
      '-chardev',
      opts('socket', [
        ['id', ids.primaryInClient],
        ['path', nicPaths.primaryInSocket],
      ]),
      '-chardev',
      opts('socket', [
        ['id', ids.compareOut],
        ['path', nicPaths.compareOutSocket],
        ['server', 'on'],
        ['wait', 'off'],
      ]),
      '-chardev',
      opts('socket', [
        ['id', ids.compareOutClient],
        ['path', nicPaths.compareOutSocket],
      ]),
    );
  });
  for (const disk of vm.disks) {
    const ids = diskIds(disk);
    argv.push(
      '-drive',
      opts('if=none', [
        ['id', ids.quorum],
        ['node-name', ids.quorumNode],
        ...QUORUM,
        ['children.0.file.filename', disk.image],
        ['children.0.driver', disk.format],
      ]),
    );
  }
  argv.push(...diskDeviceArgs(vm));
  argv.push(...vm.extraArgs.both, ...vm.extraArgs.primary);
  return argv;
}

/** The secondary's QEMU argv (runs on placement.secondary, connects to placement.primary). */
export function renderSecondaryArgv(spec: Spec, vm: VmSpec, placement: Placement, o: ArgvOptions): string[] {
  const host = hostOf(spec, placement.secondary);
  const primaryHost = hostOf(spec, placement.primary);
  const paths = vmPaths(spec, vm, placement.secondary);
  const argv = commonHead(host, vm, paths, o);
  argv.push(...tlsCredsArgs(host, vm), ...nicArgs(vm, host));
  const reconnect: readonly [string, number] =
    o.dialect.reconnectOption === 'reconnect-ms' ? ['reconnect-ms', 1000] : ['reconnect', 1];
  vm.netdevs.forEach((n, i) => {
    const ids = nicIds(n);
    const nicPorts = vm.ports.nics[i];
    if (!nicPorts || nicPorts.netdevId !== n.id) throw new Error(`vm ${vm.name}: no ports for netdev ${n.id}`);
    const vnet: [string, string][] = n.vnetHdr ? [['vnet_hdr_support', 'on']] : [];
    const addr = primaryHost.replicationAddress;
    const client = (id: string, port: number) =>
      opts('socket', [['id', id], ['host', addr], ['port', port], reconnect, ...tlsOpt(vm, 'client')]);
    argv.push(
      '-chardev',
      client(ids.secMirror, nicPorts.mirror),
      '-chardev',
      client(ids.secCompare, nicPorts.compare),
      '-object',
      opts('filter-redirector', [
        ['id', ids.secRedirectTx],
        ['netdev', n.id],
        ['queue', 'tx'],
        ['indev', ids.secMirror],
        ...vnet,
      ]),
      '-object',
      opts('filter-redirector', [
        ['id', ids.secRedirectRx],
        ['netdev', n.id],
        ['queue', 'rx'],
        ['outdev', ids.secCompare],
        ...vnet,
      ]),
      '-object',
      opts('filter-rewriter', [['id', ids.rewriter], ['netdev', n.id], ['queue', 'all'], ...vnet]),
    );
  });
  vm.disks.forEach((disk, i) => {
    const ids = diskIds(disk);
    const dp = paths.disks[i];
    if (!dp) throw new Error(`vm ${vm.name}: no paths for disk ${disk.id}`);
    argv.push(
      '-drive',
      opts('if=none', [
        ['id', ids.parent],
        ['driver', 'qcow2'],
        ['file.filename', dp.base],
      ]),
      '-drive',
      opts('if=none', [
        ['id', ids.childs],
        ['driver', 'replication'],
        ['mode', 'secondary'],
        ['top-id', ids.quorum],
        ['file.driver', 'qcow2'],
        ['file.file.filename', dp.active],
        ['file.backing.driver', 'qcow2'],
        ['file.backing.file.filename', dp.hidden],
        ['file.backing.backing', ids.parent],
      ]),
      '-drive',
      opts('if=none', [['id', ids.quorum], ['node-name', ids.quorumNode], ...QUORUM, ['children.0', ids.childs]]),
    );
  });
  argv.push(...diskDeviceArgs(vm));
  argv.push(...incomingTlsArgs(vm));
  argv.push('-incoming', `tcp:${hostPort(host.replicationAddress, vm.ports.migration)}`);
  argv.push(...vm.extraArgs.both, ...vm.extraArgs.secondary);
  return argv;
}
