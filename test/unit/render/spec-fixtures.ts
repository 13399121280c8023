/** Spec objects built in code for the render tests (independent of the YAML loader). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../../src/cli/spec-file.ts';
import { formatDiagnostic } from '../../../src/spec/index.ts';
import type { HostSpec, Spec, VmSpec } from '../../../src/spec/types.ts';

export function host(name: string, address: string, workDir = '/var/lib/colo'): HostSpec {
  return {
    name,
    local: false,
    ssh: { address, port: 22, user: 'root', agent: true },
    replicationAddress: address,
    qemu: {
      binary: '/usr/bin/qemu-system-x86_64',
      img: '/usr/bin/qemu-img',
      firmware: ['/usr/share/seabios', '/usr/share/qemu'],
      sandbox: true,
    },
    workDir,
  };
}

/** The loopback lab: one VM, kernel boot, one user netdev with a host forward, one virtio disk. */
export function labSpec(): Spec {
  const vm: VmSpec = {
    name: 'lab',
    primary: 'a',
    secondary: 'b',
    machine: { type: 'pc', accel: 'auto', cpu: 'qemu64', memoryMiB: 128, smp: 1 },
    boot: {
      kind: 'kernel',
      kernel: '/srv/guest/vmlinuz',
      initrd: '/srv/guest/initrd.img',
      append: 'console=ttyS0 quiet panic=1',
    },
    disks: [
      {
        id: 'disk0',
        image: '/srv/guest/disk0.qcow2',
        format: 'qcow2',
        interface: 'virtio',
        sizeBytes: 64 * 1024 * 1024,
        exportName: 'lab-disk0',
      },
    ],
    netdevs: [
      {
        id: 'net0',
        backend: { kind: 'user', hostForwards: [{ protocol: 'tcp', hostPort: 8080, guestPort: 80 }] },
        model: 'virtio-net-pci',
        mac: '52:54:00:12:34:56',
        vnetHdr: true,
      },
    ],
    checkpoint: {
      intervalMs: 2000,
      compareTimeoutMs: 3000,
      expiredScanCycleMs: 3000,
      maxQueueSize: 1024,
      maxBandwidthBytes: 1073741824,
      switchoverDowntimeMs: 50,
    },
    failover: { announce: { rounds: 5, initialMs: 50, maxMs: 550, stepMs: 100 } },
    ports: { migration: 9998, nbd: 9999, nics: [{ netdevId: 'net0', mirror: 9003, compare: 9004 }] },
    extraArgs: { both: [], primary: [], secondary: [] },
  };
  return {
    file: '/srv/colo/lab.yaml',
    hosts: { a: host('a', '127.0.0.11', '/tmp/colo-lab/a'), b: host('b', '127.0.0.12', '/tmp/colo-lab/b') },
    vms: [vm],
  };
}

/** A VM with two disks (ide, scsi), raw format, secondaryDir, tap + bridge NICs (e1000 without vnet_hdr), disk boot. */
export function fleetSpec(): Spec {
  const vm: VmSpec = {
    name: 'db',
    primary: 'h1',
    secondary: 'h2',
    machine: { type: 'q35', accel: 'kvm', cpu: 'host', memoryMiB: 4096, smp: 4 },
    boot: { kind: 'disk' },
    disks: [
      { id: 'root', image: '/images/db-root.qcow2', format: 'qcow2', interface: 'ide', exportName: 'db-root' },
      {
        id: 'data',
        image: '/images/db-data.raw',
        format: 'raw',
        interface: 'scsi',
        sizeBytes: 10737418240,
        secondaryDir: '/dev/shm/colo',
        exportName: 'db-data',
      },
    ],
    netdevs: [
      {
        id: 'lan',
        backend: { kind: 'tap', ifname: 'tap-db0' },
        model: 'e1000',
        mac: '52:54:00:00:00:01',
        vnetHdr: false,
      },
      {
        id: 'wan',
        backend: { kind: 'bridge', bridge: 'br0' },
        model: 'e1000',
        mac: '52:54:00:00:00:02',
        vnetHdr: false,
      },
    ],
    checkpoint: {
      intervalMs: 20000,
      compareTimeoutMs: 3000,
      expiredScanCycleMs: 3000,
      maxQueueSize: 1024,
      maxBandwidthBytes: 134217728,
      switchoverDowntimeMs: 300,
    },
    failover: { announce: false },
    ports: {
      migration: 10000,
      nbd: 10001,
      nics: [
        { netdevId: 'lan', mirror: 10002, compare: 10003 },
        { netdevId: 'wan', mirror: 10004, compare: 10005 },
      ],
    },
    extraArgs: {
      both: ['-rtc', 'base=utc'],
      primary: ['-trace', 'colo_vm_state_change'],
      secondary: ['-trace', 'colo_receive_message'],
    },
  };
  return {
    file: '/etc/colo/fleet.yaml',
    hosts: { h1: host('h1', '198.18.1.1'), h2: host('h2', '198.18.1.2') },
    vms: [vm],
  };
}

export function onlyVm(spec: Spec): VmSpec {
  const vm = spec.vms[0];
  if (!vm) throw new Error('spec without vms');
  return vm;
}

/** The repository's examples directory. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Loads an example through the real spec loader; any diagnostic error fails loudly. */
export async function loadExample(name: string): Promise<Spec> {
  const file = path.join(EXAMPLES_DIR, name);
  const r = await loadSpecFile(file, { defaultUser: 'root', homeDir: '/root' });
  if (!r.spec) throw new Error(`${file} does not load:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r.spec;
}

/** The loopback lab example (hosts on 127.0.0.11 / 127.0.0.12). */
export async function loopbackLabSpec(): Promise<Spec> {
  return loadExample('loopback-lab.yaml');
}
