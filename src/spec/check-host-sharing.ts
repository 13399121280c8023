/**
 * Things one machine has once: a work directory per host (hosts that are the same machine cannot
 * share one), an image per VM (a disk image is opened by one QEMU only), a tap device per host.
 */
import type { CheckContext } from './check-context.ts';
import { hostSetting, machineOf } from './check-context.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';

export function checkHostSharing(ctx: CheckContext, r: Reporter): void {
  checkWorkDirs(ctx, r);
  checkImages(ctx, r);
  checkTapNames(ctx, r);
}

function trimSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

function checkWorkDirs(ctx: CheckContext, r: Reporter): void {
  const first = new Map<string, string>(); // machine + workDir -> host
  for (const host of Object.values(ctx.hosts)) {
    const key = `${machineOf(host)}\0${trimSlash(host.workDir)}`;
    const other = first.get(key);
    if (other === undefined) {
      first.set(key, host.name);
      continue;
    }
    const where = hostSetting(r, host.name, ['workDir']) ?? ['hosts', host.name];
    const machine = host.local ? 'this machine (both local)' : `one machine (${machineOf(host)})`;
    r.error(
      where,
      `${formatPath(where)}: hosts ${other} and ${host.name} are ${machine} and would share the work directory ` +
        `${host.workDir}; give host ${host.name} its own workDir`,
      where.length === 2 ? 'key' : 'value',
    );
  }
}

/** The same image twice in a VM, or in two VMs whose primaries are one machine. */
function checkImages(ctx: CheckContext, r: Reporter): void {
  const byMachine = new Map<string, SpecPath>(); // machine + image -> first disk's image path
  for (const vm of ctx.vms) {
    const primary = ctx.hosts[vm.spec.primary];
    const inVm = new Map<string, SpecPath>();
    (vm.raw.disks ?? []).forEach((disk, i) => {
      if (disk?.image === undefined) return;
      const path = ['vms', vm.name, 'disks', i, 'image'];
      const earlier = inVm.get(disk.image);
      if (earlier) {
        r.error(
          path,
          `${formatPath(path)}: ${disk.image} is already ${formatPath(earlier)} ` +
            `(line ${r.lineOf(earlier, 'value')}); ` +
            `each disk needs its own image`,
        );
        return;
      }
      inVm.set(disk.image, path);
      if (!primary) return;
      const key = `${machineOf(primary)}\0${disk.image}`;
      const other = byMachine.get(key);
      if (!other) byMachine.set(key, path);
      else {
        r.error(
          path,
          `${formatPath(path)}: ${disk.image} on host ${primary.name} is already the image of ` +
            `${formatPath(other)} (line ${r.lineOf(other, 'value')}); two VMs cannot run on one image`,
        );
      }
    });
  }
}

/** A tap device name exists once per host, and each VM creates its taps on both of its hosts. */
function checkTapNames(ctx: CheckContext, r: Reporter): void {
  const first = new Map<string, SpecPath>(); // host + ifname -> path
  for (const vm of ctx.vms) {
    const hosts = [...new Set([vm.spec.primary, vm.spec.secondary])].filter((h) => ctx.hosts[h] !== undefined);
    (vm.raw.netdevs ?? []).forEach((netdev, i) => {
      if (netdev?.backend !== 'tap' || netdev.ifname === undefined) return;
      const path = ['vms', vm.name, 'netdevs', i, 'ifname'];
      for (const host of hosts) {
        const key = `${host}\0${netdev.ifname}`;
        const other = first.get(key);
        if (!other) {
          first.set(key, path);
          continue;
        }
        r.error(
          path,
          `${formatPath(path)}: tap device ${netdev.ifname} on host ${host} is already ${formatPath(other)} ` +
            `(line ${r.lineOf(other, 'value')}); give each netdev its own ifname`,
        );
        break;
      }
    });
  }
}
