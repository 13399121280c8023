/**
 * The VM's hardware against what QEMU's x86 emulator takes: a known machine type, vCPUs within
 * the board's limit, a CPU model the accelerator can run, room for its IDE disks, a NIC model that
 * exists and fits a PC, a kernel command line Linux reads whole. Only for VMs whose hosts all run
 * qemu-system-x86_64 (or -i386): another emulator has other boards.
 */
import type { CheckContext, CheckVm } from './check-context.ts';
import { vmSetting } from './check-context.ts';
import { DEFAULT_NIC_MODEL } from './builtin-defaults.ts';
import {
  UNUSABLE_NIC_MODELS,
  X86_CMDLINE_MAX,
  X86_MACHINES,
  X86_NIC_MODELS,
  isX86Binary,
  isX86Machine,
  maxCpus,
  maxIdeDisks,
} from './qemu-x86.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import { closest } from './suggest.ts';

export function checkMachine(ctx: CheckContext, r: Reporter): void {
  for (const vm of ctx.vms) {
    const hosts = [vm.spec.primary, vm.spec.secondary].map((h) => ctx.hosts[h]);
    if (hosts.some((h) => h === undefined || !isX86Binary(h.qemu.binary))) continue;
    if (!checkType(vm, r)) continue;
    checkCpu(vm, r);
    checkIde(vm, r);
    checkNics(vm, r);
    checkAppend(vm, r);
  }
}

/** Where the VM's machine setting `key` is written (its own or defaults.machine), else the VM. */
function machineAt(r: Reporter, vm: CheckVm, key: string): SpecPath {
  return vmSetting(r, vm.name, ['machine', key]) ?? ['vms', vm.name];
}

function checkType(vm: CheckVm, r: Reporter): boolean {
  const type = vm.spec.machine.type;
  if (isX86Machine(type) && type !== 'none') return true;
  const path = machineAt(r, vm, 'type');
  if (type === 'none') {
    r.error(path, `${formatPath(path)}: machine type none has no board to boot a guest on; write pc or q35`);
    return false;
  }
  const guess = closest(type, X86_MACHINES);
  r.error(
    path,
    `${formatPath(path)}: ${type} is not a machine type of qemu-system-x86_64` +
      (guess ? `; did you mean ${JSON.stringify(guess)}?` : ' (pc, q35, or a versioned pc-i440fx-7.2 / pc-q35-7.2)'),
  );
  return false;
}

function checkCpu(vm: CheckVm, r: Reporter): void {
  const { type, smp, cpu, accel } = vm.spec.machine;
  const limit = maxCpus(type);
  if (limit !== undefined && smp > limit) {
    const path = machineAt(r, vm, 'smp');
    r.error(path, `${formatPath(path)}: ${smp} vCPUs, but machine type ${type} takes at most ${limit}`);
  }
  const model = cpu.split(',')[0] ?? cpu;
  if (accel === 'tcg' && model === 'host') {
    const path = machineAt(r, vm, 'cpu');
    r.error(
      path,
      `${formatPath(path)}: CPU model host needs KVM, but machine.accel is tcg; write cpu: max (every feature ` +
        `TCG has) or qemu64`,
    );
  }
}

function checkIde(vm: CheckVm, r: Reporter): void {
  const limit = maxIdeDisks(vm.spec.machine.type);
  if (limit === undefined) return;
  let count = 0;
  (vm.raw.disks ?? []).forEach((disk, i) => {
    if (disk?.interface !== 'ide' || ++count !== limit + 1) return;
    const path = vmSetting(r, vm.name, ['disks', i, 'interface'], ['disk', 'interface']) ?? [
      'vms',
      vm.name,
      'disks',
      i,
    ];
    r.error(
      path,
      `${formatPath(path)}: disk ${count} on IDE, but machine type ${vm.spec.machine.type} has room for ` +
        `${limit} IDE disk${limit === 1 ? '' : 's'} (one IDE bus); use interface: virtio or scsi for the others`,
    );
  });
}

function checkNics(vm: CheckVm, r: Reporter): void {
  (vm.raw.netdevs ?? []).forEach((netdev, i) => {
    if (!netdev) return;
    const model = netdev.model ?? DEFAULT_NIC_MODEL;
    if ((X86_NIC_MODELS as readonly string[]).includes(model)) return;
    const path = vmSetting(r, vm.name, ['netdevs', i, 'model'], ['netdev', 'model']) ?? ['vms', vm.name, 'netdevs', i];
    const where = formatPath(path);
    const unusable = UNUSABLE_NIC_MODELS[model];
    if (unusable) {
      r.error(path, `${where}: ${model} ${unusable}`);
      return;
    }
    const guess = closest(model, X86_NIC_MODELS);
    if (guess)
      r.error(
        path,
        `${where}: ${model} is not a NIC model of qemu-system-x86_64; did you mean ${JSON.stringify(guess)}?`,
      );
    else
      r.warning(
        path,
        `${where}: ${model} is not a NIC model colo knows for qemu-system-x86_64 (virtio-net-pci, e1000, rtl8139, ...)`,
      );
  });
}

function checkAppend(vm: CheckVm, r: Reporter): void {
  const boot = vm.spec.boot;
  if (boot.kind !== 'kernel' || boot.append === undefined) return;
  const bytes = Buffer.byteLength(boot.append);
  if (bytes <= X86_CMDLINE_MAX) return;
  const path = vmSetting(r, vm.name, ['boot', 'append']) ?? ['vms', vm.name];
  r.error(
    path,
    `${formatPath(path)}: the kernel command line is ${bytes} bytes; x86 Linux reads at most ${X86_CMDLINE_MAX} ` +
      '(QEMU passes it whole, the guest cuts off the rest)',
  );
}
