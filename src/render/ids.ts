/**
 * Stable QEMU ids colo derives from a VM's disk and netdev ids. The argv, the QMP sequences and the
 * engine all use these functions, so a name exists in exactly one place.
 * Namespaces in QEMU: block (drives, nodes), chardev, object (filters, iothreads, compare), device,
 * netdev, block job. Prefixes keep a disk and a NIC with the same user id from clashing.
 */
import type { DiskSpec, NetdevSpec, VmSpec } from '../spec/types.ts';

export interface DiskIds {
  diskId: string;
  /** Quorum drive on both sides; the guest device's drive. Also the BlockBackend the mirror reads. */
  quorum: string;
  /**
   * The quorum's node name on both sides. Adding the replication child needs it: while a mirror job
   * runs, the drive name resolves to the mirror's filter node above the quorum.
   */
  quorumNode: string;
  /** Guest block device id (-device ...,id=). */
  device: string;
  /** Secondary: the base image drive exported over NBD. */
  parent: string;
  /** Secondary: the replication (mode=secondary) drive over active -> hidden -> parent. */
  childs: string;
  /** Primary: NBD client node to the secondary's export, the replication node's file. */
  nbd: string;
  /** Primary: a second NBD client node to the same export, the resync mirror's target. */
  mirrorTarget: string;
  /** Primary: replication (mode=primary) node added to the quorum as children.1. */
  replication: string;
  /** Primary: blockdev-mirror job id. */
  mirrorJob: string;
  /** NBD export name on the secondary. */
  exportName: string;
}

export interface NicIds {
  netdevId: string;
  /** Guest NIC device id; QOM path /machine/peripheral/<device>. */
  device: string;
  /** QOM path of the virtio backend, for x-query-virtio-status (virtio models only meaningful). */
  virtioBackendPath: string;
  // Primary chardevs (docs/COLO-FT.txt names with the netdev id appended).
  /** TCP server on the primary; the secondary's red0 connects; filter-mirror writes to it. */
  mirror: string;
  /** TCP server on the primary; the secondary's red1 connects; colo-compare secondary_in. */
  compareIn: string;
  /** Unix server: redirector redire1 writes the primary's rx here. */
  primaryIn: string;
  /** Unix client of primaryIn: colo-compare primary_in. */
  primaryInClient: string;
  /** Unix server: redirector redire0 reads released packets here. */
  compareOut: string;
  /** Unix client of compareOut: colo-compare outdev. */
  compareOutClient: string;
  // Primary objects.
  filterMirror: string;
  redirectorOut: string; // redire0: indev compare_out, queue rx
  redirectorIn: string; // redire1: outdev compare0, queue rx
  iothread: string;
  compare: string;
  // Secondary chardevs and objects.
  secMirror: string; // red0
  secCompare: string; // red1
  secRedirectTx: string; // f1
  secRedirectRx: string; // f2
  rewriter: string; // rew
}

export function diskIds(disk: DiskSpec): DiskIds {
  const d = disk.id;
  return {
    diskId: d,
    quorum: `colo-${d}`,
    quorumNode: `quorum-${d}`,
    device: `blk-${d}`,
    parent: `parent-${d}`,
    childs: `childs-${d}`,
    nbd: `nbd-${d}`,
    mirrorTarget: `resync-nbd-${d}`,
    replication: `replication-${d}`,
    mirrorJob: `resync-${d}`,
    exportName: disk.exportName,
  };
}

export function nicIds(netdev: NetdevSpec): NicIds {
  const n = netdev.id;
  const device = `nic-${n}`;
  return {
    netdevId: n,
    device,
    virtioBackendPath: `/machine/peripheral/${device}/virtio-backend`,
    mirror: `mirror0-${n}`,
    compareIn: `compare1-${n}`,
    primaryIn: `compare0-${n}`,
    primaryInClient: `compare0-0-${n}`,
    compareOut: `compare_out-${n}`,
    compareOutClient: `compare_out0-${n}`,
    filterMirror: `m0-${n}`,
    redirectorOut: `redire0-${n}`,
    redirectorIn: `redire1-${n}`,
    iothread: `iothread-${n}`,
    compare: `comp-${n}`,
    secMirror: `red0-${n}`,
    secCompare: `red1-${n}`,
    secRedirectTx: `f1-${n}`,
    secRedirectRx: `f2-${n}`,
    rewriter: `rew-${n}`,
  };
}

/** The virtio-scsi controller colo adds when any disk uses interface scsi. */
export const SCSI_CONTROLLER_ID = 'colo-scsi';

export interface VmIds {
  disks: DiskIds[];
  nics: NicIds[];
}

/**
 * QOM paths of a VM's virtio devices (virtio NICs and virtio-blk disks): what x-query-virtio-status
 * takes, for the `disabled` flag and the driver-ready status.
 */
export function virtioBackendPaths(vm: VmSpec): string[] {
  return [
    ...vm.netdevs.filter((n) => n.vnetHdr).map((n) => nicIds(n).virtioBackendPath),
    ...vm.disks
      .filter((d) => d.interface === 'virtio')
      .map((d) => `/machine/peripheral/${diskIds(d).device}/virtio-backend`),
  ];
}

export function vmIds(vm: VmSpec): VmIds {
  return { disks: vm.disks.map(diskIds), nics: vm.netdevs.map(nicIds) };
}
