/**
 * Commands (argv lists, run in order on one host) that prepare a host for a VM: the work dir, and on
 * the secondary a fresh empty base image plus active/hidden overlays, all of the primary disk's
 * virtual size. `qemu-img create` overwrites: every secondary start gets fresh images. Pure.
 */
import type { DiskSpec, Spec, VmSpec } from '../spec/types.ts';
import type { ScriptArg } from './recipes/types.ts';
import { hostOf, vmPaths } from './paths.ts';

/** Mode of the per-VM work dir (and of colo's per-VM dirs inside secondaryDir). */
export const WORK_DIR_MODE = '0700';

/** Mode of the images colo creates (qemu-img creates them under the umask, often 022). */
export const IMAGE_MODE = '0600';

/** mkdir for the VM's work dir on a host (both roles need it before QEMU starts), private even when it existed. */
export function renderWorkDirPrep(spec: Spec, vm: VmSpec, hostName: string): string[][] {
  const paths = vmPaths(spec, vm, hostName);
  return [
    ['mkdir', '-p', '-m', WORK_DIR_MODE, paths.dir],
    ['chmod', WORK_DIR_MODE, paths.dir],
  ];
}

/**
 * The secondary's image preparation. `sizeBytes` maps disk id to the virtual size of the primary's
 * disk (from `qemu-img info`); a disk's own `sizeBytes` in the spec is used when the map lacks it.
 */
export function renderImagePrep(
  spec: Spec,
  vm: VmSpec,
  secondaryHost: string,
  sizeBytes: Readonly<Record<string, number>> = {},
): string[][] {
  return renderImagePrepCommands(spec, vm, secondaryHost, (disk) => {
    const size = sizeBytes[disk.id] ?? disk.sizeBytes;
    if (size === undefined || !Number.isSafeInteger(size) || size <= 0) {
      throw new Error(`vm ${vm.name}: disk ${disk.id}: virtual size unknown (read it with qemu-img info first)`);
    }
    return String(size);
  });
}

/** The same commands with each disk's size given by `size` (a literal, or a value read at run time). */
export function renderImagePrepCommands<A extends string | ScriptArg>(
  spec: Spec,
  vm: VmSpec,
  secondaryHost: string,
  size: (disk: DiskSpec) => A,
): (string | A)[][] {
  const host = hostOf(spec, secondaryHost);
  const paths = vmPaths(spec, vm, secondaryHost);
  const cmds: (string | A)[][] = renderWorkDirPrep(spec, vm, secondaryHost);
  const dirs = new Set<string>([paths.dir]);
  vm.disks.forEach((disk, i) => {
    const dp = paths.disks[i];
    if (!dp) throw new Error(`vm ${vm.name}: no paths for disk ${disk.id}`);
    const s = size(disk);
    if (!dirs.has(dp.dir)) {
      dirs.add(dp.dir);
      cmds.push(['mkdir', '-p', '-m', WORK_DIR_MODE, dp.dir], ['chmod', WORK_DIR_MODE, dp.dir]);
    }
    for (const file of [dp.base, dp.hidden, dp.active]) {
      cmds.push([host.qemu.img, 'create', '-q', '-f', 'qcow2', file, s], ['chmod', IMAGE_MODE, file]);
    }
  });
  return cmds;
}
