/** Semantic checks of each VM as written: host references, boot, ids, backends, MACs, port keys. */
import { mergeNetdev } from './defaults-merge.ts';
import { isMulticastMac, isZeroMac } from './mac.ts';
import type { RawBoot, RawNetdev, RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import { didYouMean } from './suggest.ts';

/** Which backend each backend-specific netdev key belongs to. */
const BACKEND_KEYS: Record<string, 'user' | 'tap' | 'bridge'> = {
  hostForwards: 'user',
  ifname: 'tap',
  script: 'tap',
  downscript: 'tap',
  bridge: 'bridge',
  helper: 'bridge',
};

export function checkVms(raw: RawSpec, r: Reporter): void {
  if (raw.defaults?.boot && r.written(['defaults', 'boot'])) checkBoot(r, ['defaults', 'boot'], raw.defaults.boot);
  for (const [name, vm] of Object.entries(raw.vms ?? {})) {
    if (vm) checkVm(raw, r, name, vm);
  }
}

function checkVm(raw: RawSpec, r: Reporter, name: string, vm: RawVm): void {
  const at = ['vms', name];
  checkHostRefs(raw, r, at, vm);
  if (vm.boot && r.written([...at, 'boot'])) checkBoot(r, [...at, 'boot'], vm.boot);
  checkBootable(r, at, vm);
  checkDisks(r, at, vm);
  const ids = checkNetdevs(raw, r, at, vm);
  checkNicPorts(r, at, vm, ids);
}

/** primary and secondary name declared hosts, and two different ones. */
function checkHostRefs(raw: RawSpec, r: Reporter, at: SpecPath, vm: RawVm): void {
  const hostNames = Object.keys(raw.hosts ?? {});
  for (const role of ['primary', 'secondary'] as const) {
    const ref = vm[role];
    if (ref === undefined || r.written(['hosts', ref])) continue;
    const hint =
      didYouMean(ref, hostNames) ||
      (hostNames.length > 0 ? ` (declared hosts: ${hostNames.join(', ')})` : ' (no hosts are declared)');
    r.error([...at, role], `unknown host ${JSON.stringify(ref)} in ${formatPath([...at, role])}${hint}`);
  }
  if (vm.primary !== undefined && vm.primary === vm.secondary) {
    r.error(
      [...at, 'secondary'],
      `${formatPath(at)}: primary and secondary are both ${JSON.stringify(vm.primary)}; COLO needs two different hosts`,
    );
  }
}

/**
 * A VM boots from a kernel (its own or the defaults') or from a disk. A `disks` list whose items
 * were all rejected is not reported again; an empty one (`disks: []`) is.
 */
function checkBootable(r: Reporter, at: SpecPath, vm: RawVm): void {
  const bootAt = vm.boot !== undefined || r.written([...at, 'boot']) ? [...at, 'boot'] : ['defaults', 'boot'];
  if (r.written([...bootAt, 'kernel'])) return;
  const disksWritten = r.written([...at, 'disks']);
  if (!disksWritten) {
    r.error(at, `${formatPath(at)}: nothing to boot: add a disk or set boot.kernel`, 'key');
  } else if (Array.isArray(vm.disks) && vm.disks.length === 0) {
    const path = [...at, 'disks'];
    r.error(
      path,
      `${formatPath(path)}: the list is empty and there is no boot.kernel: nothing to boot; add a disk or ` +
        `set boot.kernel`,
    );
  }
}

/** Disk ids and NBD export names must be unique within the VM. */
function checkDisks(r: Reporter, at: SpecPath, vm: RawVm): void {
  const diskIds = new Uniq(r, 'disk id');
  const exports = new Uniq(r, 'NBD export name');
  (vm.disks ?? []).forEach((disk, i) => {
    if (!disk) return;
    const item = [...at, 'disks', i];
    const id = disk.id ?? `disk${i}`;
    const uniqueId = diskIds.add(id, disk.id !== undefined ? [...item, 'id'] : item, formatPath(at));
    // A defaulted export name repeats the id: a duplicate id is already reported.
    if (uniqueId || disk.export !== undefined)
      exports.add(disk.export ?? id, disk.export !== undefined ? [...item, 'export'] : item, formatPath(at));
  });
}

/** Unique netdev ids, a backend with its own keys only, usable MACs. Returns the netdev ids. */
function checkNetdevs(raw: RawSpec, r: Reporter, at: SpecPath, vm: RawVm): string[] {
  const netdevIds = new Uniq(r, 'netdev id');
  const ids: string[] = [];
  (vm.netdevs ?? []).forEach((netdev, i) => {
    if (!netdev) return;
    const item = [...at, 'netdevs', i];
    const id = netdev.id ?? `net${i}`;
    ids.push(id);
    netdevIds.add(id, netdev.id !== undefined ? [...item, 'id'] : item, formatPath(at));
    checkBackend(raw, r, item, netdev);
    if (netdev.mac !== undefined) checkMac(r, [...item, 'mac'], netdev.mac);
  });
  return ids;
}

function checkBackend(raw: RawSpec, r: Reporter, item: SpecPath, netdev: RawNetdev): void {
  const backend = mergeNetdev(netdev, raw.defaults).backend;
  if (backend === undefined) {
    if (!r.written([...item, 'backend'])) {
      r.error(
        item,
        `missing required key "backend" in ${formatPath(item)} (user, tap or bridge; or set defaults.netdev.backend)`,
      );
    }
    return;
  }
  for (const [key, owner] of Object.entries(BACKEND_KEYS)) {
    if (owner !== backend && netdev[key as keyof typeof netdev] !== undefined) {
      r.error(
        [...item, key],
        `${JSON.stringify(key)} only applies to backend: ${owner}; ${formatPath(item)} uses backend: ${backend}`,
        'key',
      );
    }
  }
  if (
    backend === 'bridge' &&
    mergeNetdev(netdev, raw.defaults).bridge === undefined &&
    !r.written([...item, 'bridge'])
  ) {
    r.error(
      item,
      `missing required key "bridge" in ${formatPath(item)} (needed for backend: bridge; or set ` +
        `defaults.netdev.bridge)`,
    );
  }
}

function checkMac(r: Reporter, path: SpecPath, mac: string): void {
  if (isZeroMac(mac)) r.error(path, `${formatPath(path)}: ${mac} is not a usable MAC address`);
  else if (isMulticastMac(mac)) {
    r.error(
      path,
      `${formatPath(path)}: ${mac} is a multicast address; a NIC needs a unicast MAC (even first ` +
        `byte, e.g. 52:54:00:...)`,
    );
  }
}

/** Every key of ports.nics names a netdev of the VM. */
function checkNicPorts(r: Reporter, at: SpecPath, vm: RawVm, ids: readonly string[]): void {
  for (const key of Object.keys(vm.ports?.nics ?? {})) {
    if (ids.includes(key)) continue;
    const path = [...at, 'ports', 'nics', key];
    const hint =
      didYouMean(key, ids) || (ids.length > 0 ? ` (netdev ids: ${ids.join(', ')})` : ' (the VM has no netdevs)');
    r.error(path, `${formatPath(path)}: no netdev with id ${JSON.stringify(key)} in ${formatPath(at)}${hint}`, 'key');
  }
}

function checkBoot(r: Reporter, at: SpecPath, boot: RawBoot): void {
  const kernel = r.written([...at, 'kernel']); // even when its value was rejected
  if (kernel && boot.disk === true) {
    r.error(
      [...at, 'disk'],
      `${formatPath(at)}: choose kernel boot or disk boot, not both (remove kernel or disk: true)`,
      'key',
    );
  }
  if (!kernel) {
    for (const key of ['initrd', 'append'] as const) {
      if (boot[key] !== undefined) r.error([...at, key], `${formatPath(at)}: ${key} needs kernel`, 'key');
    }
    if (boot.disk === false)
      r.error([...at, 'disk'], `${formatPath(at)}: disk: false needs a kernel to boot from`, 'key');
  }
}

/** Reports the second and later uses of the same value, pointing at the first. */
class Uniq {
  readonly #seen = new Map<string, SpecPath>();
  readonly #r: Reporter;
  readonly #what: string;

  constructor(r: Reporter, what: string) {
    this.#r = r;
    this.#what = what;
  }

  /** Returns false (and reports) when the value was seen before. */
  add(value: string, path: SpecPath, owner: string): boolean {
    const first = this.#seen.get(value);
    if (first === undefined) {
      this.#seen.set(value, path);
      return true;
    }
    this.#r.error(
      path,
      `duplicate ${this.#what} ${JSON.stringify(value)} in ${owner} (first used on line ` +
        `${this.#r.lineOf(first, 'value')})`,
    );
    return false;
  }
}
