import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import type { Spec } from '../../../src/spec/index.ts';
import { deepMerge } from '../../../src/spec/defaults-merge.ts';

function load(text: string): Spec {
  const { spec, diagnostics } = loadSpecText(text, 'd.yaml', { defaultUser: 'alice', homeDir: '/home/alice' });
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.ok(spec);
  return spec;
}

const SPEC = `apiVersion: colo/v1
defaults:
  host:
    ssh: { user: ops, port: 2200, identityFile: ~/.ssh/colo }
    qemu: { binary: /opt/qemu/bin/qemu-system-x86_64, firmware: [/opt/qemu/share] }
    workDir: /srv/colo
  machine: { accel: kvm, memory: 2G, smp: 2 }
  boot: { kernel: /boot/vmlinuz, append: console=ttyS0 }
  disk: { format: raw, secondaryDir: /fast }
  netdev: { backend: bridge, bridge: br0, model: e1000, script: /etc/up }
  checkpoint: { interval: 5s, maxBandwidth: 512M }
  extraArgs: { both: [-rtc, base=utc], primary: [-device, virtio-rng-pci] }
hosts:
  a:
    ssh: { address: 192.0.2.1, port: 22 }
    qemu: { img: /opt/qemu/bin/qemu-img }
  b:
    ssh: { address: 192.0.2.2, user: root, agent: true }
    workDir: /var/lib/colo-b
  c:
    local: true
    replicationAddress: 127.0.0.1
vms:
  inherits:
    primary: a
    secondary: b
    disks: [{ image: /i.raw }]
    netdevs: [{ id: lan }]
  overrides:
    primary: b
    secondary: a
    machine: { memory: 512M, cpu: host }
    boot: { disk: true }
    disks: [{ image: /o.qcow2, format: qcow2, secondaryDir: /other }]
    netdevs: [{ id: lan, backend: tap, model: virtio-net-pci }, { id: wan, bridge: br1 }]
    checkpoint: { compareTimeout: 1s, switchoverDowntime: 120ms }
    extraArgs: { both: [-no-hpet] }
`;

describe('defaults inheritance', () => {
  const spec = load(SPEC);
  const vm = (name: string) => {
    const v = spec.vms.find((x) => x.name === name);
    assert.ok(v);
    return v;
  };

  test('hosts inherit defaults.host key by key; the host wins', () => {
    assert.deepEqual(spec.hosts['a']?.ssh, {
      address: '192.0.2.1',
      port: 22,
      user: 'ops',
      identityFile: '/home/alice/.ssh/colo',
      agent: false,
    });
    assert.deepEqual(spec.hosts['a']?.qemu, {
      binary: '/opt/qemu/bin/qemu-system-x86_64',
      img: '/opt/qemu/bin/qemu-img',
      firmware: ['/opt/qemu/share'],
      sandbox: true,
    });
    assert.equal(spec.hosts['a']?.workDir, '/srv/colo');
    assert.equal(spec.hosts['a']?.replicationAddress, '192.0.2.1');
    assert.deepEqual(spec.hosts['b']?.ssh, {
      address: '192.0.2.2',
      port: 2200,
      user: 'root',
      identityFile: '/home/alice/.ssh/colo',
      agent: true,
    });
    assert.equal(spec.hosts['b']?.workDir, '/var/lib/colo-b');
  });

  test('a local host gets no ssh settings from defaults', () => {
    assert.equal(spec.hosts['c']?.local, true);
    assert.equal(spec.hosts['c']?.ssh, undefined);
    assert.equal(spec.hosts['c']?.workDir, '/srv/colo');
  });

  test('a VM without its own settings takes every default', () => {
    const v = vm('inherits');
    assert.deepEqual(v.machine, { type: 'pc', accel: 'kvm', cpu: 'qemu64', memoryMiB: 2048, smp: 2 });
    assert.deepEqual(v.boot, { kind: 'kernel', kernel: '/boot/vmlinuz', append: 'console=ttyS0' });
    assert.deepEqual(v.disks, [
      { id: 'disk0', image: '/i.raw', format: 'raw', interface: 'virtio', exportName: 'disk0', secondaryDir: '/fast' },
    ]);
    assert.deepEqual(v.netdevs[0]?.backend, { kind: 'bridge', bridge: 'br0' });
    assert.equal(v.netdevs[0]?.model, 'e1000');
    assert.equal(v.netdevs[0]?.vnetHdr, false);
    assert.deepEqual(v.checkpoint, {
      intervalMs: 5000,
      compareTimeoutMs: 3000,
      expiredScanCycleMs: 3000,
      maxQueueSize: 1024,
      maxBandwidthBytes: 512 * 1024 ** 2,
      switchoverDowntimeMs: 50,
    });
    assert.deepEqual(v.extraArgs, {
      both: ['-rtc', 'base=utc'],
      primary: ['-device', 'virtio-rng-pci'],
      secondary: [],
    });
  });

  test('a VM merges mappings key by key and replaces lists and boot', () => {
    const v = vm('overrides');
    assert.deepEqual(v.machine, { type: 'pc', accel: 'kvm', cpu: 'host', memoryMiB: 512, smp: 2 });
    assert.deepEqual(v.boot, { kind: 'disk' });
    assert.deepEqual(v.disks[0], {
      id: 'disk0',
      image: '/o.qcow2',
      format: 'qcow2',
      interface: 'virtio',
      exportName: 'disk0',
      secondaryDir: '/other',
    });
    // tap netdev: gets the tap script default, not the bridge.
    assert.deepEqual(v.netdevs[0]?.backend, { kind: 'tap', script: '/etc/up' });
    assert.equal(v.netdevs[0]?.vnetHdr, true);
    assert.deepEqual(v.netdevs[1]?.backend, { kind: 'bridge', bridge: 'br1' });
    assert.equal(v.checkpoint.intervalMs, 5000);
    assert.equal(v.checkpoint.compareTimeoutMs, 1000);
    assert.equal(v.checkpoint.switchoverDowntimeMs, 120);
    assert.deepEqual(v.extraArgs, { both: ['-no-hpet'], primary: ['-device', 'virtio-rng-pci'], secondary: [] });
  });

  test("colo's own defaults when the spec says nothing", () => {
    const s = load(`apiVersion: colo/v1
hosts: { a: { ssh: { address: h1 } }, b: { ssh: { address: h2 } } }
vms: { v: { primary: a, secondary: b, disks: [{ image: /v }], netdevs: [{ backend: user }] } }
`);
    assert.deepEqual(s.hosts['a'], {
      name: 'a',
      local: false,
      replicationAddress: 'h1',
      qemu: { binary: '/usr/bin/qemu-system-x86_64', img: '/usr/bin/qemu-img', firmware: [], sandbox: true },
      workDir: '/var/lib/colo',
      ssh: { address: 'h1', port: 22, user: 'alice', agent: true },
    });
    const v = s.vms[0];
    assert.ok(v);
    assert.deepEqual(v.machine, { type: 'pc', accel: 'auto', cpu: 'qemu64', memoryMiB: 512, smp: 1 });
    assert.deepEqual(v.boot, { kind: 'disk' });
    assert.deepEqual(v.checkpoint, {
      intervalMs: 2000,
      compareTimeoutMs: 3000,
      expiredScanCycleMs: 3000,
      maxQueueSize: 1024,
      maxBandwidthBytes: 1024 ** 3,
      switchoverDowntimeMs: 50,
    });
    assert.equal(v.netdevs[0]?.model, 'virtio-net-pci');
    assert.equal(v.netdevs[0]?.vnetHdr, true);
    assert.deepEqual(v.netdevs[0]?.backend, { kind: 'user', hostForwards: [] });
  });

  test('deepMerge: over wins, mappings merge, lists replace, undefined never overrides', () => {
    assert.deepEqual(
      deepMerge<Record<string, unknown>>({ a: 1, m: { x: 1, y: 2 }, l: [1, 2] }, { m: { y: 3 }, l: [9], a: undefined }),
      {
        a: 1,
        m: { x: 1, y: 3 },
        l: [9],
      },
    );
  });
});
