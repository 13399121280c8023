/**
 * File names colo uses on a host for one VM. The engine and the renderers share these, so a path
 * is spelled in one place. Pure: no file system access.
 */
import type { HostSpec, Spec, VmSpec } from '../spec/types.ts';
import { diskIds, nicIds } from './ids.ts';

export interface DiskPaths {
  diskId: string;
  /**
   * Directory holding this disk's secondary images: the VM dir, or `${disk.secondaryDir}/${vm.name}`
   * (a per-VM subdirectory, so two VMs sharing a secondaryDir never clash on `disk0-*.qcow2`).
   */
  dir: string;
  /** Secondary: empty qcow2 of the primary's virtual size, filled by the NBD mirror. */
  base: string;
  /** Secondary: active overlay (top of the replication chain). */
  active: string;
  /** Secondary: hidden overlay (backing of active). */
  hidden: string;
}

export interface NicPaths {
  netdevId: string;
  /** Primary: unix socket of the primary_in loop (redire1 -> colo-compare). */
  primaryInSocket: string;
  /** Primary: unix socket of the compare_out loop (colo-compare -> redire0). */
  compareOutSocket: string;
}

export interface VmPaths {
  /** `${host.workDir}/${vm.name}`, mode 0700. */
  dir: string;
  qmpSocket: string;
  pidFile: string;
  /** Guest serial console (-serial file:), read for crash detection. */
  consoleLog: string;
  /** QEMU's own log (-D). */
  qemuLog: string;
  disks: DiskPaths[];
  nics: NicPaths[];
}

/** Join absolute POSIX directory and a file name without doubling slashes. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

export function hostOf(spec: Spec, hostName: string): HostSpec {
  const host = spec.hosts[hostName];
  if (!host) throw new Error(`unknown host ${JSON.stringify(hostName)}`);
  return host;
}

export function vmDir(host: HostSpec, vm: VmSpec): string {
  return joinPath(host.workDir, vm.name);
}

export function vmPaths(spec: Spec, vm: VmSpec, hostName: string): VmPaths {
  const dir = vmDir(hostOf(spec, hostName), vm);
  return {
    dir,
    qmpSocket: joinPath(dir, 'qmp.sock'),
    pidFile: joinPath(dir, 'qemu.pid'),
    consoleLog: joinPath(dir, 'console.log'),
    qemuLog: joinPath(dir, 'qemu.log'),
    disks: vm.disks.map((disk) => {
      const ddir = disk.secondaryDir === undefined ? dir : joinPath(disk.secondaryDir, vm.name);
      const id = diskIds(disk).diskId;
      return {
        diskId: id,
        dir: ddir,
        base: joinPath(ddir, `${id}-base.qcow2`),
        active: joinPath(ddir, `${id}-active.qcow2`),
        hidden: joinPath(ddir, `${id}-hidden.qcow2`),
      };
    }),
    nics: vm.netdevs.map((n) => {
      const ids = nicIds(n);
      return {
        netdevId: n.id,
        primaryInSocket: joinPath(dir, `${ids.primaryIn}.sock`),
        compareOutSocket: joinPath(dir, `${ids.compareOut}.sock`),
      };
    }),
  };
}

/** Longest unix socket path Linux accepts (sun_path is 108 bytes including the NUL). */
export const UNIX_SOCKET_PATH_MAX = 107;

/** Every unix socket of this VM on this host: its QMP socket and the primary's compare loops. */
export function socketPaths(paths: VmPaths): string[] {
  return [paths.qmpSocket, ...paths.nics.flatMap((n) => [n.primaryInSocket, n.compareOutSocket])];
}

/** Unix socket paths of this VM on this host that are too long for the kernel. */
export function tooLongSocketPaths(paths: VmPaths): string[] {
  return socketPaths(paths).filter((p) => Buffer.byteLength(p) > UNIX_SOCKET_PATH_MAX);
}
