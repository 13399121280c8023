/**
 * Raw (validated, pruned) spec -> resolved `Spec`: defaults inherited, colo's own defaults filled in,
 * sizes and durations normalised, MACs derived, ports allocated. Cross-entity problems found on the
 * way (duplicate MACs, port clashes, socket paths too long) are reported, positioned.
 * Tolerates partial input (after other errors) so every problem is reported in one run.
 */
import * as D from './builtin-defaults.ts';
import { mergeHost, mergeVm } from './defaults-merge.ts';
import { deriveMac, normalizeMac } from './mac.ts';
import { allocatePorts } from './port-allocation.ts';
import type { PortRequest } from './port-allocation.ts';
import type { RawHost, RawNetdev, RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import type { BootSpec, CheckpointPolicy, DiskSpec, HostSpec, NetdevSpec, Spec, VmSpec } from './types.ts';
import { parseDuration, parseSize } from './units.ts';

export interface ResolveOptions {
  /** SSH user when the spec names none (the user running colo). */
  defaultUser: string;
  /** Home directory for `~/` in identityFile. */
  homeDir: string;
}

export function resolveSpec(raw: RawSpec, absoluteFile: string, r: Reporter, opts: ResolveOptions): Spec {
  const hosts: Record<string, HostSpec> = {};
  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    if (host) hosts[name] = resolveHost(name, mergeHost(host, raw.defaults?.host), opts);
  }

  const vmEntries = Object.entries(raw.vms ?? {}).filter((e): e is [string, RawVm] => e[1] !== undefined);
  const merged = vmEntries.map(([name, vm]) => ({ name, vm: mergeVm(vm, raw.defaults) }));
  const macs = assignMacs(merged, r);

  const requests: PortRequest[] = merged.map(({ name, vm }) => portRequest(name, vm, hosts, raw));
  const ports = allocatePorts(requests, r);

  const vms: VmSpec[] = merged.map(({ name, vm }) => {
    const spec: VmSpec = {
      name,
      primary: vm.primary ?? '',
      secondary: vm.secondary ?? '',
      machine: {
        type: vm.machine?.type ?? D.DEFAULT_MACHINE_TYPE,
        accel: vm.machine?.accel ?? D.DEFAULT_ACCEL,
        cpu: vm.machine?.cpu ?? D.DEFAULT_CPU,
        memoryMiB:
          vm.machine?.memory !== undefined
            ? valueOr(parseSize(vm.machine.memory, 1024 * 1024), 0) / (1024 * 1024)
            : D.DEFAULT_MEMORY_MIB,
        smp: vm.machine?.smp ?? D.DEFAULT_SMP,
      },
      boot: resolveBoot(vm),
      disks: resolveDisks(vm),
      netdevs: presentNetdevs(vm).map(({ netdev, id }) => resolveNetdev(netdev, id, macs.get(`${name}/${id}`) ?? '')),
      checkpoint: resolveCheckpoint(vm),
      ports: ports.get(name) ?? { migration: 0, nbd: 0, nics: [] },
      extraArgs: {
        both: strings(vm.extraArgs?.both),
        primary: strings(vm.extraArgs?.primary),
        secondary: strings(vm.extraArgs?.secondary),
      },
    };
    checkSocketPaths(spec, hosts, r);
    return spec;
  });

  return { file: absoluteFile, hosts, vms };
}

function resolveHost(name: string, host: RawHost, opts: ResolveOptions): HostSpec {
  const local = host.local === true;
  const ssh =
    !local && host.ssh
      ? {
          address: host.ssh.address ?? '',
          port: host.ssh.port ?? D.DEFAULT_SSH_PORT,
          user: host.ssh.user ?? opts.defaultUser,
          ...(host.ssh.identityFile !== undefined
            ? { identityFile: expandHome(host.ssh.identityFile, opts.homeDir) }
            : {}),
          agent: host.ssh.agent ?? host.ssh.identityFile === undefined,
          ...(host.ssh.hostKey !== undefined ? { hostKey: host.ssh.hostKey } : {}),
        }
      : undefined;
  const spec: HostSpec = {
    name,
    local,
    replicationAddress: host.replicationAddress ?? ssh?.address ?? '',
    qemu: {
      binary: host.qemu?.binary ?? D.DEFAULT_QEMU_BINARY,
      img: host.qemu?.img ?? D.DEFAULT_QEMU_IMG,
      firmware: strings(host.qemu?.firmware),
    },
    workDir: host.workDir ?? D.DEFAULT_WORK_DIR,
  };
  if (ssh) spec.ssh = ssh;
  if (host.fence?.command) {
    spec.fence = {
      command: strings(host.fence.command),
      timeoutMs:
        host.fence.timeout !== undefined
          ? valueOr(parseDuration(host.fence.timeout), D.DEFAULT_FENCE_TIMEOUT_MS)
          : D.DEFAULT_FENCE_TIMEOUT_MS,
    };
  }
  return spec;
}

function resolveBoot(vm: RawVm): BootSpec {
  const b = vm.boot;
  if (b?.kernel === undefined) return { kind: 'disk' };
  return {
    kind: 'kernel',
    kernel: b.kernel,
    ...(b.initrd !== undefined ? { initrd: b.initrd } : {}),
    ...(b.append !== undefined ? { append: b.append } : {}),
  };
}

function resolveDisks(vm: RawVm): DiskSpec[] {
  const out: DiskSpec[] = [];
  (vm.disks ?? []).forEach((d, i) => {
    if (!d) return;
    const id = d.id ?? `disk${i}`;
    const disk: DiskSpec = {
      id,
      image: d.image ?? '',
      format: d.format ?? D.DEFAULT_DISK_FORMAT,
      interface: d.interface ?? D.DEFAULT_DISK_INTERFACE,
      exportName: d.export ?? id,
    };
    if (d.size !== undefined) disk.sizeBytes = valueOr(parseSize(d.size), 0);
    if (d.secondaryDir !== undefined) disk.secondaryDir = d.secondaryDir;
    out.push(disk);
  });
  return out;
}

function presentNetdevs(vm: RawVm): { netdev: RawNetdev; id: string; index: number }[] {
  const out: { netdev: RawNetdev; id: string; index: number }[] = [];
  (vm.netdevs ?? []).forEach((n, index) => {
    if (n) out.push({ netdev: n, id: n.id ?? `net${index}`, index });
  });
  return out;
}

function resolveNetdev(n: RawNetdev, id: string, mac: string): NetdevSpec {
  const model = n.model ?? D.DEFAULT_NIC_MODEL;
  let backend: NetdevSpec['backend'];
  switch (n.backend) {
    case 'tap':
      backend = {
        kind: 'tap',
        ...(n.ifname !== undefined ? { ifname: n.ifname } : {}),
        ...(n.script !== undefined ? { script: n.script } : {}),
        ...(n.downscript !== undefined ? { downscript: n.downscript } : {}),
      };
      break;
    case 'bridge':
      backend = { kind: 'bridge', bridge: n.bridge ?? '', ...(n.helper !== undefined ? { helper: n.helper } : {}) };
      break;
    default:
      backend = {
        kind: 'user',
        hostForwards: (n.hostForwards ?? []).flatMap((f) =>
          f?.hostPort !== undefined && f.guestPort !== undefined
            ? [
                {
                  protocol: f.protocol ?? 'tcp',
                  ...(f.hostAddress !== undefined ? { hostAddress: f.hostAddress } : {}),
                  hostPort: f.hostPort,
                  guestPort: f.guestPort,
                },
              ]
            : [],
        ),
      };
  }
  return { id, backend, model, mac, vnetHdr: model.startsWith('virtio') };
}

function resolveCheckpoint(vm: RawVm): CheckpointPolicy {
  const c = vm.checkpoint;
  const d = D.DEFAULT_CHECKPOINT;
  return {
    intervalMs: c?.interval !== undefined ? valueOr(parseDuration(c.interval), d.intervalMs) : d.intervalMs,
    compareTimeoutMs:
      c?.compareTimeout !== undefined
        ? valueOr(parseDuration(c.compareTimeout), d.compareTimeoutMs)
        : d.compareTimeoutMs,
    expiredScanCycleMs:
      c?.expiredScanCycle !== undefined
        ? valueOr(parseDuration(c.expiredScanCycle), d.expiredScanCycleMs)
        : d.expiredScanCycleMs,
    maxQueueSize: c?.maxQueueSize ?? d.maxQueueSize,
    maxBandwidthBytes:
      c?.maxBandwidth !== undefined ? valueOr(parseSize(c.maxBandwidth), d.maxBandwidthBytes) : d.maxBandwidthBytes,
    switchoverDowntimeMs:
      c?.switchoverDowntime !== undefined
        ? valueOr(parseDuration(c.switchoverDowntime), d.switchoverDowntimeMs)
        : d.switchoverDowntimeMs,
  };
}

/**
 * Explicit MACs must be unique across the file; netdevs without one get a derived MAC that avoids
 * every explicit one and every earlier derived one. Key: `${vm}/${netdevId}`.
 */
function assignMacs(vms: readonly { name: string; vm: RawVm }[], r: Reporter): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Map<string, SpecPath>();
  for (const { name, vm } of vms) {
    for (const { netdev, id, index } of presentNetdevs(vm)) {
      if (netdev.mac === undefined) continue;
      const mac = normalizeMac(netdev.mac);
      const path = ['vms', name, 'netdevs', index, 'mac'];
      const first = taken.get(mac);
      if (first)
        r.error(
          path,
          `${formatPath(path)}: duplicate MAC address ${mac}, already used by ${formatPath(first.slice(0, -1))} ` +
            `(line ${r.lineOf(first, 'value')})`,
        );
      else taken.set(mac, path);
      out.set(`${name}/${id}`, mac);
    }
  }
  for (const { name, vm } of vms) {
    for (const { netdev, id, index } of presentNetdevs(vm)) {
      if (netdev.mac !== undefined) continue;
      let attempt = 0;
      let mac = deriveMac(name, id);
      while (taken.has(mac)) mac = deriveMac(name, id, ++attempt);
      taken.set(mac, ['vms', name, 'netdevs', index, 'mac']);
      out.set(`${name}/${id}`, mac);
    }
  }
  return out;
}

function portRequest(name: string, vm: RawVm, hosts: Record<string, HostSpec>, raw: RawSpec): PortRequest {
  const at = ['vms', name];
  const hostNames = [...new Set([vm.primary, vm.secondary])].filter(
    (h): h is string => h !== undefined && hosts[h] !== undefined,
  );
  const own = vm.ports;
  const basePath =
    raw.vms?.[name]?.ports?.base !== undefined
      ? [...at, 'ports', 'base']
      : raw.defaults?.ports?.base !== undefined
        ? ['defaults', 'ports', 'base']
        : at;
  const explicit = (key: 'migration' | 'nbd') =>
    own?.[key] !== undefined ? { port: own[key], path: [...at, 'ports', key] } : undefined;
  const migration = explicit('migration');
  const nbd = explicit('nbd');
  return {
    vm: name,
    hosts: hostNames,
    base: own?.base ?? D.DEFAULT_PORT_BASE,
    basePath,
    ...(migration ? { migration } : {}),
    ...(nbd ? { nbd } : {}),
    nics: presentNetdevs(vm).map(({ id }) => {
      const p = own?.nics?.[id];
      const nicAt = [...at, 'ports', 'nics', id];
      return {
        netdevId: id,
        ...(p?.mirror !== undefined ? { mirror: { port: p.mirror, path: [...nicAt, 'mirror'] } } : {}),
        ...(p?.compare !== undefined ? { compare: { port: p.compare, path: [...nicAt, 'compare'] } } : {}),
      };
    }),
    forwards: presentNetdevs(vm).flatMap(({ netdev, index }) =>
      netdev.backend === 'user'
        ? (netdev.hostForwards ?? []).flatMap((f, j) =>
            f?.hostPort !== undefined
              ? [
                  {
                    protocol: f.protocol ?? 'tcp',
                    port: f.hostPort,
                    path: [...at, 'netdevs', index, 'hostForwards', j, 'hostPort'],
                  },
                ]
              : [],
          )
        : [],
    ),
  };
}

/**
 * colo's unix sockets for a VM live in `${workDir}/${vm}/` (see src/render/paths.ts): qmp.sock and,
 * per netdev, compare0-<id>.sock and compare_out-<id>.sock. Each must fit the socket path limit.
 */
function checkSocketPaths(vm: VmSpec, hosts: Record<string, HostSpec>, r: Reporter): void {
  const names = ['qmp.sock', ...vm.netdevs.flatMap((n) => [`compare0-${n.id}.sock`, `compare_out-${n.id}.sock`])];
  const longest = names.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
  // One report per VM: the worst of its hosts.
  let worst: { host: string; path: string; bytes: number } | undefined;
  for (const hostName of new Set([vm.primary, vm.secondary])) {
    const host = hosts[hostName];
    if (!host) continue;
    const dir = host.workDir.endsWith('/') ? `${host.workDir}${vm.name}` : `${host.workDir}/${vm.name}`;
    const path = `${dir}/${longest}`;
    const bytes = Buffer.byteLength(path);
    if (bytes > D.SOCKET_PATH_LIMIT && (!worst || bytes > worst.bytes)) worst = { host: hostName, path, bytes };
  }
  if (worst) {
    r.error(
      ['vms', vm.name],
      `${formatPath(['vms', vm.name])}: unix socket path ${worst.path} on host ${worst.host} is ${worst.bytes} ` +
        `bytes, over the limit of ${D.SOCKET_PATH_LIMIT}; shorten hosts.${worst.host}.workDir, the VM name or ` +
        `the netdev ids`,
      'key',
    );
  }
}

function valueOr(parsed: { ok: true; value: number } | { ok: false }, fallback: number): number {
  return parsed.ok ? parsed.value : fallback;
}

function strings(list: readonly (string | undefined)[] | undefined): string[] {
  return (list ?? []).filter((s): s is string => s !== undefined);
}

function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? `${home.replace(/\/$/, '')}/${path.slice(2)}` : path;
}
