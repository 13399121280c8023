/** A raw VM (defaults merged) -> resolved `VmSpec`: colo's defaults filled in, units normalised. */
import * as D from './builtin-defaults.ts';
import type { RawNetdev, RawVm } from './raw-spec.ts';
import { presentNetdevs, strings, valueOr } from './resolve-values.ts';
import type { BootSpec, CheckpointPolicy, DiskSpec, FailoverPolicy, NetdevSpec, VmPorts, VmSpec } from './types.ts';
import { parseDuration, parseSize } from './units.ts';

/** `macs` maps `${vm}/${netdevId}` to the NIC's MAC (src/spec/assign-macs.ts). */
export function resolveVm(
  name: string,
  vm: RawVm,
  macs: ReadonlyMap<string, string>,
  ports: VmPorts | undefined,
): VmSpec {
  return {
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
    failover: resolveFailover(vm),
    ports: ports ?? { migration: 0, nbd: 0, nics: [] },
    extraArgs: {
      both: strings(vm.extraArgs?.both),
      primary: strings(vm.extraArgs?.primary),
      secondary: strings(vm.extraArgs?.secondary),
    },
  };
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

/** `announce`: absent or true = QEMU's defaults; false = off; a mapping = its keys over the defaults. */
function resolveFailover(vm: RawVm): FailoverPolicy {
  const a = vm.failover?.announce;
  const d = D.DEFAULT_ANNOUNCE;
  if (a === false) return { announce: false };
  if (a === undefined || a === true) return { announce: { ...d } };
  const ms = (v: number | string | undefined, dflt: number): number =>
    v !== undefined ? valueOr(parseDuration(v), dflt) : dflt;
  return {
    announce: {
      rounds: a.rounds ?? d.rounds,
      initialMs: ms(a.initial, d.initialMs),
      maxMs: ms(a.max, d.maxMs),
      stepMs: ms(a.step, d.stepMs),
    },
  };
}
