/**
 * Facts about QEMU's x86 system emulator that the spec is checked against (from QEMU 7.2's
 * `-machine help`, `-device help` and its board limits). Only applied when a host's qemu.binary is
 * qemu-system-x86_64 or qemu-system-i386: another emulator has other boards and devices.
 */
import { posix } from 'node:path';

export function isX86Binary(binary: string): boolean {
  return /^qemu-system-(x86_64|i386)$/.test(posix.basename(binary));
}

/** Machine types without version, and the versioned families (pc-i440fx-7.2, pc-q35-7.2, ...). */
export const X86_MACHINES = ['pc', 'q35', 'isapc', 'microvm', 'xenfv', 'xenpv', 'x-remote'] as const;
const VERSIONED = /^(pc-i440fx|pc-q35|pc|xenfv)-[0-9]+\.[0-9]+(\.[0-9]+)?$/;

export function isX86Machine(type: string): boolean {
  return (X86_MACHINES as readonly string[]).includes(type) || type === 'none' || VERSIONED.test(type);
}

export type Board = 'i440fx' | 'q35' | 'isapc' | 'microvm' | 'other';

export function boardOf(type: string): Board {
  if (type === 'pc' || type.startsWith('pc-i440fx-') || /^pc-[0-9]/.test(type)) return 'i440fx';
  if (type === 'q35' || type.startsWith('pc-q35-')) return 'q35';
  if (type === 'isapc') return 'isapc';
  if (type === 'microvm') return 'microvm';
  return 'other';
}

/** Most vCPUs a board takes ("Invalid SMP CPUs N. The max CPUs supported by machine ... is M"). */
export function maxCpus(type: string): number | undefined {
  switch (boardOf(type)) {
    case 'i440fx':
      return 255;
    case 'isapc':
      return 1;
    case 'q35': {
      // 288 up to pc-q35-8.0; later versions (and a newer QEMU's plain q35) take up to 1024.
      const m = /^pc-q35-([0-9]+)\.([0-9]+)/.exec(type);
      return m && Number(m[1]) * 100 + Number(m[2]) < 801 ? 288 : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * IDE disks colo's command line has room for. It writes `-device ide-hd` without `bus=`, and QEMU
 * 7.2 then puts every one on the board's first IDE bus: two units on i440fx ("IDE unit 1 is in
 * use" for a third), one AHCI port on q35 ("bus supports only 1 units" for a second).
 */
export function maxIdeDisks(type: string): number | undefined {
  const board = boardOf(type);
  return board === 'i440fx' ? 2 : board === 'q35' ? 1 : undefined;
}

/** NIC models of QEMU's x86 emulator that take a netdev on a PC board (ISA and PCI). */
export const X86_NIC_MODELS = [
  'virtio-net-pci',
  'virtio-net',
  'virtio-net-pci-transitional',
  'virtio-net-pci-non-transitional',
  'e1000',
  'e1000-82540em',
  'e1000-82544gc',
  'e1000-82545em',
  'e1000e',
  'igb',
  'rtl8139',
  'ne2k_pci',
  'ne2k_isa',
  'pcnet',
  'vmxnet3',
  'tulip',
  'i82550',
  'i82551',
  'i82557a',
  'i82557b',
  'i82557c',
  'i82558a',
  'i82558b',
  'i82559a',
  'i82559b',
  'i82559c',
  'i82559er',
  'i82562',
  'i82801',
] as const;

/** NIC models QEMU has but that cannot work in colo's command line, and what to write instead. */
export const UNUSABLE_NIC_MODELS: Readonly<Record<string, string>> = {
  'virtio-net-device': 'is the virtio-mmio NIC, and a PC board has no virtio-mmio bus: write virtio-net-pci',
  'usb-net': 'needs a USB controller, which colo does not add (-nodefaults): write virtio-net-pci or e1000',
};

/**
 * Longest kernel command line x86 Linux reads (COMMAND_LINE_SIZE 2048 with the NUL): QEMU 7.2 passes
 * a longer -append whole, and the guest silently drops the rest.
 */
export const X86_CMDLINE_MAX = 2047;
