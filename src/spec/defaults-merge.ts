/**
 * Inheritance from the spec's `defaults`: a host or VM's own value wins; mappings merge key by key;
 * lists and `boot` are replaced as a whole.
 */
import type { RawDefaults, RawDisk, RawHost, RawHostDefaults, RawNetdev, RawVm } from './raw-spec.ts';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects; `over` wins; lists and scalars replace; undefined never overrides. */
export function deepMerge<T>(base: T | undefined, over: T | undefined): T | undefined {
  if (over === undefined) return base;
  if (base === undefined || !isPlain(base) || !isPlain(over)) return over;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = deepMerge(out[k], v);
  }
  return out as T;
}

export function mergeHost(host: RawHost, defaults: RawHostDefaults | undefined): RawHost {
  if (!defaults) return host;
  const merged: RawHost = { ...host };
  merged.qemu = deepMerge(defaults.qemu, host.qemu);
  merged.workDir = host.workDir ?? defaults.workDir;
  // SSH defaults only reach hosts that use SSH: a local host with inherited ssh settings is fine.
  if (host.local !== true && (host.ssh !== undefined || defaults.ssh !== undefined)) {
    merged.ssh = deepMerge({ ...defaults.ssh }, host.ssh);
  }
  return merged;
}

export function mergeDisk(disk: RawDisk, defaults: RawDefaults | undefined): RawDisk {
  return deepMerge(defaults?.disk, disk) ?? disk;
}

export function mergeNetdev(netdev: RawNetdev, defaults: RawDefaults | undefined): RawNetdev {
  const d = defaults?.netdev;
  if (!d) return netdev;
  const backend = netdev.backend ?? d.backend;
  const inherited: RawNetdev = { backend, model: d.model };
  // Backend-specific defaults only apply to netdevs of that backend.
  if (backend === 'bridge') Object.assign(inherited, { bridge: d.bridge, helper: d.helper });
  if (backend === 'tap') Object.assign(inherited, { script: d.script, downscript: d.downscript });
  return deepMerge(inherited, netdev) ?? netdev;
}

export function mergeVm(vm: RawVm, defaults: RawDefaults | undefined): RawVm {
  if (!defaults) return vm;
  return {
    ...vm,
    machine: deepMerge(defaults.machine, vm.machine),
    boot: vm.boot ?? defaults.boot,
    checkpoint: deepMerge(defaults.checkpoint, vm.checkpoint),
    failover: deepMerge(defaults.failover, vm.failover),
    ports: deepMerge(defaults.ports, vm.ports),
    extraArgs: deepMerge(defaults.extraArgs, vm.extraArgs),
    disks: vm.disks?.map((d) => (d === undefined ? undefined : mergeDisk(d, defaults))),
    netdevs: vm.netdevs?.map((n) => (n === undefined ? undefined : mergeNetdev(n, defaults))),
  };
}
