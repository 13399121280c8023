import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentUser, loadSpecFile } from '../../../src/cli/spec-file.ts';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { SPEC_ENV } from './spec-env.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examplesDir = join(root, 'examples');
const validDir = join(root, 'test/fixtures/specs/valid');

describe('examples', async () => {
  const examples = (await readdir(examplesDir)).filter((f) => f.endsWith('.yaml')).sort();

  test('the required examples exist', () => {
    for (const name of ['pair.yaml', 'fleet.yaml', 'loopback-lab.yaml']) assert.ok(examples.includes(name), name);
  });

  for (const name of examples) {
    test(`${name} loads with no diagnostics and starts with the schema modeline`, async () => {
      const file = join(examplesDir, name);
      const text = await readFile(file, 'utf8');
      assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=../schemas/colo.schema.json');
      const { spec, diagnostics } = await loadSpecFile(file);
      assert.deepEqual(diagnostics.map(formatDiagnostic), []);
      assert.ok(spec);
      assert.equal(spec.file, file);
      assert.ok(spec.vms.length >= 1);
    });
  }

  test('pair: two SSH hosts, one kvm VM with one disk and one NIC', async () => {
    const { spec } = await loadSpecFile(join(examplesDir, 'pair.yaml'));
    assert.ok(spec);
    assert.equal(Object.keys(spec.hosts).length, 2);
    assert.ok(Object.values(spec.hosts).every((h) => h.ssh !== undefined && !h.local));
    assert.equal(spec.vms.length, 1);
    const vm = spec.vms[0];
    assert.equal(vm?.machine.accel, 'kvm');
    assert.equal(vm?.disks.length, 1);
    assert.equal(vm?.netdevs.length, 1);
  });

  test('fleet: 3+ hosts, 3+ VMs, several disks and NICs, tap and bridge, inherited defaults', async () => {
    const { spec } = await loadSpecFile(join(examplesDir, 'fleet.yaml'));
    assert.ok(spec);
    assert.ok(Object.keys(spec.hosts).length >= 3);
    assert.ok(spec.vms.length >= 3);
    assert.ok(spec.vms.some((v) => v.disks.length >= 2));
    assert.ok(spec.vms.some((v) => v.netdevs.length >= 2));
    const kinds = new Set(spec.vms.flatMap((v) => v.netdevs.map((n) => n.backend.kind)));
    assert.ok(kinds.has('tap') && kinds.has('bridge'));
    assert.ok(
      spec.vms.every((v) => v.machine.accel === 'kvm'),
      'accel inherited from defaults',
    );
    // No two VMs sharing a host share a port.
    for (const host of Object.keys(spec.hosts)) {
      const used: number[] = spec.vms
        .filter((v) => v.primary === host || v.secondary === host)
        .flatMap((v) => [v.ports.migration, v.ports.nbd, ...v.ports.nics.flatMap((n) => [n.mirror, n.compare])]);
      assert.equal(new Set(used).size, used.length, `port reused on ${host}`);
    }
    const macs = spec.vms.flatMap((v) => v.netdevs.map((n) => n.mac));
    assert.equal(new Set(macs).size, macs.length);
  });

  test('loopback-lab: what the real-QEMU test needs', async () => {
    const { spec } = await loadSpecFile(join(examplesDir, 'loopback-lab.yaml'));
    assert.ok(spec);
    assert.deepEqual(
      Object.values(spec.hosts).map((h) => [h.ssh?.address, h.ssh?.port, h.replicationAddress]),
      [
        ['127.0.0.11', 2222, '127.0.0.11'],
        ['127.0.0.12', 2222, '127.0.0.12'],
      ],
    );
    for (const h of Object.values(spec.hosts)) {
      assert.match(h.qemu.binary, /^\/root\/\.cache\/colo\/qemu\/.*qemu-system-x86_64$/);
      assert.deepEqual(h.qemu.firmware, ['/usr/share/seabios', '/usr/share/qemu', '/usr/lib/ipxe/qemu']);
    }
    const vm = spec.vms[0];
    assert.ok(vm);
    assert.equal(vm.machine.accel, 'tcg');
    assert.equal(vm.machine.memoryMiB, 128);
    assert.equal(vm.boot.kind, 'kernel');
    assert.equal(vm.boot.kind === 'kernel' ? vm.boot.append : '', 'console=ttyS0 quiet panic=1');
    assert.deepEqual(
      vm.disks.map((d) => [d.format, d.interface, d.sizeBytes]),
      [['qcow2', 'virtio', 64 * 1024 * 1024]],
    );
    assert.equal(vm.netdevs[0]?.model, 'virtio-net-pci');
    assert.equal(vm.netdevs[0]?.vnetHdr, true);
    assert.deepEqual(vm.netdevs[0]?.backend, {
      kind: 'user',
      hostForwards: [{ protocol: 'tcp', hostPort: 8080, guestPort: 80 }],
    });
    assert.equal(vm.checkpoint.intervalMs, 2000);
  });
});

describe('valid fixtures', async () => {
  for (const name of (await readdir(validDir)).filter((f) => f.endsWith('.yaml')).sort()) {
    test(name, async () => {
      const { spec, diagnostics } = await loadSpecFile(join(validDir, name));
      assert.deepEqual(diagnostics.map(formatDiagnostic), []);
      assert.ok(spec && spec.vms.length > 0);
    });
  }

  test('anchors and merge keys resolve like Ansible users expect', async () => {
    const { spec } = await loadSpecFile(join(validDir, 'anchors.yaml'));
    assert.deepEqual(spec?.hosts['b']?.ssh, { address: '192.0.2.2', port: 2200, user: 'ops', agent: true });
    assert.equal(spec?.hosts['b']?.workDir, '/srv/colo');
    assert.deepEqual(
      spec?.vms.map((v) => [v.name, v.primary, v.machine.memoryMiB, v.disks[0]?.image]),
      [
        ['one', 'a', 1024, '/srv/images/one.qcow2'],
        ['two', 'b', 1024, '/srv/images/two.qcow2'],
      ],
    );
  });

  test('local hosts: no ssh, ports allocated around a host forward', async () => {
    const { spec } = await loadSpecFile(join(validDir, 'local-hosts.yaml'));
    assert.equal(spec?.hosts['left']?.ssh, undefined);
    assert.equal(spec?.hosts['left']?.local, true);
    assert.deepEqual(spec?.vms[0]?.ports, {
      migration: 9001,
      nbd: 9002,
      nics: [{ netdevId: 'net0', mirror: 9003, compare: 9004 }],
    });
    assert.equal(spec?.vms[0]?.machine.memoryMiB, 256);
  });
});

describe('loading files', () => {
  test('a missing file is one whole-file diagnostic, with the name as given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'colo-spec-'));
    try {
      const file = relative(process.cwd(), join(dir, 'nope.yaml'));
      const { spec, diagnostics } = await loadSpecFile(file);
      assert.equal(spec, undefined);
      assert.deepEqual(diagnostics.map(formatDiagnostic), [`${file}: cannot read: ENOENT: no such file or directory`]);
      const dirResult = await loadSpecFile(dir);
      assert.match(formatDiagnostic(dirResult.diagnostics[0]!), /: cannot read: EISDIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('relative file names stay relative in diagnostics; spec.file is absolute', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'colo-spec-'));
    try {
      const abs = join(dir, 'colo.yaml');
      await writeFile(abs, 'apiVersion: colo/v1\nhosts: {}\nvms: {}\nextra: 1\n');
      const rel = relative(process.cwd(), abs);
      const bad = await loadSpecFile(rel);
      assert.deepEqual(bad.diagnostics.map(formatDiagnostic), [
        `${rel}:4:1: unknown key "extra" at the top level ` +
          '(allowed keys: apiVersion, hosts, defaults, tls, vms, cluster)',
      ]);
      await writeFile(abs, 'apiVersion: colo/v1\nhosts: {}\nvms: {}\n');
      const ok = await loadSpecFile(rel);
      assert.equal(ok.spec?.file, resolve(abs));
      assert.deepEqual(ok.diagnostics.map(formatDiagnostic), [
        `${rel}:3:1: warning: no VMs declared: there is nothing to protect`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the user and home directory', () => {
  const text =
    'apiVersion: colo/v1\nhosts:\n  a: { ssh: { address: h1, identityFile: ~/.ssh/k } }\n' +
    '  b: { ssh: { address: h2 } }\nvms: { v: { primary: a, secondary: b, disks: [{ image: /v }] } }\n';

  test('are inputs of the pure loader', () => {
    const { spec } = loadSpecText(text, 'u.yaml', { defaultUser: 'eve', homeDir: '/home/eve/' });
    assert.equal(spec?.hosts['a']?.ssh?.user, 'eve');
    assert.equal(spec?.hosts['a']?.ssh?.identityFile, '/home/eve/.ssh/k');
    assert.equal(spec?.file, 'u.yaml');
  });

  test('the file loader looks them up for this process unless told', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'colo-spec-'));
    try {
      const file = join(dir, 'colo.yaml');
      await writeFile(file, text);
      const own = await loadSpecFile(file);
      assert.equal(own.spec?.hosts['b']?.ssh?.user, currentUser());
      assert.equal(own.spec?.hosts['a']?.ssh?.identityFile, `${homedir().replace(/\/$/, '')}/.ssh/k`);
      const pinned = await loadSpecFile(file, { defaultUser: 'ops', homeDir: '/h' });
      assert.equal(pinned.spec?.hosts['b']?.ssh?.user, 'ops');
      assert.equal(pinned.spec?.hosts['a']?.ssh?.identityFile, '/h/.ssh/k');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('robustness', () => {
  const inputs = [
    '',
    '---',
    '~',
    '42',
    '"just a string"',
    '[1, 2, 3]',
    'apiVersion: colo/v1\nhosts: 3\nvms: []\n',
    'apiVersion: colo/v1\nhosts: { a: null, b: [] }\nvms: { x: null, y: { primary: [a], secondary: {}, disks: ' +
      '[null, 3, {}], netdevs: "x" } }\n',
    'apiVersion: colo/v1\nhosts: { a: { ssh: null } }\nvms: { v: { primary: a, secondary: b, ports: { nics: { ' +
      'net0: null } }, machine: { memory: [] } } }\n',
    'a: &x [*x]\n',
    'a: !!binary AAAA\nb: !custom 3\n',
    '\u0000\u0001\u0002',
    'key: "unterminated\n',
    '{{{{',
    'x:\n\t- tab\n',
    'apiVersion: colo/v1\ndefaults: { machine: null, disk: 3, netdev: [], ports: { base: -1 } }\nhosts: {}\nvms: {}\n',
  ];
  for (const [i, text] of inputs.entries()) {
    test(`never throws, always positions (input ${i})`, () => {
      const { spec, diagnostics } = loadSpecText(text, 'weird.yaml', SPEC_ENV);
      if (i !== 0 && i !== 1 && i !== 2) assert.equal(spec, undefined);
      for (const d of diagnostics) {
        assert.ok(d.line >= 1 && d.col >= 1, formatDiagnostic(d));
        assert.doesNotMatch(d.message, /\n/);
      }
      assert.ok(diagnostics.length > 0);
    });
  }

  test('two hosts with one replication address: an error at the second', () => {
    const { spec, diagnostics } = loadSpecText(
      `apiVersion: colo/v1
hosts:
  a: { ssh: { address: h1 }, replicationAddress: 198.18.0.1 }
  b: { ssh: { address: h2 }, replicationAddress: 198.18.0.1 }
vms: { v: { primary: a, secondary: b, disks: [{ image: /v }] } }
`,
      'w.yaml',
      SPEC_ENV,
    );
    assert.equal(spec, undefined);
    assert.deepEqual(diagnostics.map(formatDiagnostic), [
      'w.yaml:4:50: hosts.b.replicationAddress: 198.18.0.1 is already the replication address of host a; their ' +
        'QEMUs would compete for the same ports: give each host its own replicationAddress',
    ]);
  });

  test('a key misplaced one level up suggests where it belongs', () => {
    const { diagnostics } = loadSpecText(
      'apiVersion: colo/v1\nhosts: { a: { ssh: { address: h1 } }, b: { ssh: { address: h2 } } }\nvms:\n  v:\n   ' +
        ' primary: a\n    secondary: b\n    memory: 1G\n    disks: [{ image: /v }]\n',
      'm.yaml',
      SPEC_ENV,
    );
    assert.deepEqual(diagnostics.map(formatDiagnostic), [
      'm.yaml:7:5: unknown key "memory" in vms.v; did you mean "machine.memory"?',
    ]);
  });

  test('errors inside values reached through a merge key point at the anchor', () => {
    const { diagnostics } = loadSpecText(
      `apiVersion: colo/v1
hosts: { a: { ssh: { address: h1 } }, b: { ssh: { address: h2 } } }
x-common: &common
  machine: { accel: kvmm }
vms:
  v:
    <<: *common
    primary: a
    secondary: b
    disks: [{ image: /v }]
`,
      'a.yaml',
      SPEC_ENV,
    );
    assert.deepEqual(diagnostics.map(formatDiagnostic), [
      'a.yaml:3:1: unknown key "x-common" at the top level ' +
        '(allowed keys: apiVersion, hosts, defaults, tls, vms, cluster)',
      'a.yaml:4:21: vms.v.machine.accel: "kvmm" is not allowed; expected one of kvm, tcg, auto; did you mean "kvm"?',
    ]);
  });
});
