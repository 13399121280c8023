import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { SPEC_ENV } from './spec-env.ts';
import type { Spec } from '../../../src/spec/index.ts';

const HOSTS = `apiVersion: colo/v1
hosts:
  a: { ssh: { address: 192.0.2.1 } }
  b: { ssh: { address: 192.0.2.2 } }
  c: { ssh: { address: 192.0.2.3 } }
  d: { ssh: { address: 192.0.2.4 } }
`;

function load(vms: string, extra = ''): Spec {
  const { spec, diagnostics } = loadSpecText(`${HOSTS}${extra}vms:\n${vms}`, 'p.yaml', SPEC_ENV);
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.ok(spec);
  return spec;
}

const ports = (spec: Spec, vm: string) => spec.vms.find((v) => v.name === vm)?.ports;

describe('port allocation', () => {
  test('each VM gets migration, nbd, then mirror+compare per NIC, from 9000', () => {
    const spec = load(`  w:
    primary: a
    secondary: b
    disks: [{ image: /w }]
    netdevs: [{ id: lan, backend: user }, { id: san, backend: user }]
`);
    assert.deepEqual(ports(spec, 'w'), {
      migration: 9000,
      nbd: 9001,
      nics: [
        { netdevId: 'lan', mirror: 9002, compare: 9003 },
        { netdevId: 'san', mirror: 9004, compare: 9005 },
      ],
    });
  });

  test('VMs sharing a host skip each other; VMs on disjoint hosts reuse the same ports', () => {
    const spec = load(`  one: { primary: a, secondary: b, disks: [{ image: /1 }], netdevs: [{ backend: user }] }
  two: { primary: b, secondary: c, disks: [{ image: /2 }], netdevs: [{ backend: user }] }
  three: { primary: d, secondary: c, disks: [{ image: /3 }] }
  four: { primary: d, secondary: a, disks: [{ image: /4 }] }
`);
    assert.deepEqual(ports(spec, 'one'), {
      migration: 9000,
      nbd: 9001,
      nics: [{ netdevId: 'net0', mirror: 9002, compare: 9003 }],
    });
    // two shares b with one.
    assert.deepEqual(ports(spec, 'two'), {
      migration: 9004,
      nbd: 9005,
      nics: [{ netdevId: 'net0', mirror: 9006, compare: 9007 }],
    });
    // three shares c with two only: 9000..9003 are free on c and d.
    assert.deepEqual(ports(spec, 'three'), { migration: 9000, nbd: 9001, nics: [] });
    // four: a has 9000-9003 (one), d has 9000-9001 (three).
    assert.deepEqual(ports(spec, 'four'), { migration: 9004, nbd: 9005, nics: [] });
  });

  test('explicit ports of later VMs are reserved before anything is allocated', () => {
    const spec = load(`  first: { primary: a, secondary: b, disks: [{ image: /1 }] }
  second: { primary: b, secondary: a, disks: [{ image: /2 }], ports: { migration: 9000, nbd: 9002 } }
`);
    assert.deepEqual(ports(spec, 'first'), { migration: 9001, nbd: 9003, nics: [] });
    assert.deepEqual(ports(spec, 'second'), { migration: 9000, nbd: 9002, nics: [] });
  });

  test('host forwards are skipped; partial explicit ports are completed', () => {
    const spec = load(`  w:
    primary: a
    secondary: b
    disks: [{ image: /w }]
    netdevs:
      - id: lan
        backend: user
        hostForwards: [{ hostPort: 9001, guestPort: 80 }, { protocol: udp, hostPort: 9003, guestPort: 53 }]
    ports:
      nbd: 9100
      nics: { lan: { compare: 9101 } }
`);
    assert.deepEqual(ports(spec, 'w'), {
      migration: 9000,
      nbd: 9100,
      nics: [{ netdevId: 'lan', mirror: 9002, compare: 9101 }],
    });
  });

  test('the base comes from the VM, else defaults.ports.base, else 9000', () => {
    const spec = load(
      `  x: { primary: a, secondary: b, disks: [{ image: /x }] }
  y: { primary: c, secondary: d, disks: [{ image: /y }], ports: { base: 20000 } }
`,
      'defaults:\n  ports: { base: 15000 }\n',
    );
    assert.equal(ports(spec, 'x')?.migration, 15000);
    assert.equal(ports(spec, 'y')?.migration, 20000);
  });

  test('allocation is deterministic', () => {
    const vms =
      `  p: { primary: a, secondary: b, disks: [{ image: /p }], netdevs: [{ backend: user }, { ` +
      `backend: user }] }
  q: { primary: b, secondary: c, disks: [{ image: /q }], netdevs: [{ backend: user }] }
`;
    assert.deepEqual(load(vms).vms, load(vms).vms);
  });

  test('explicit clashes are errors at the second use, naming the first', () => {
    const { spec, diagnostics } = loadSpecText(
      `${HOSTS}vms:
  one: { primary: a, secondary: b, disks: [{ image: /1 }], ports: { migration: 9500 } }
  two: { primary: c, secondary: b, disks: [{ image: /2 }], ports: { nbd: 9500 } }
  three: { primary: c, secondary: d, disks: [{ image: /3 }], ports: { nbd: 9500 } }
`,
      'p.yaml',
      SPEC_ENV,
    );
    assert.equal(spec, undefined);
    assert.deepEqual(diagnostics.map(formatDiagnostic), [
      'p.yaml:9:74: vms.two.ports.nbd: port 9500 is already used on host b by vms.one.ports.migration (line 8)',
      'p.yaml:10:76: vms.three.ports.nbd: port 9500 is already used on host c by vms.two.ports.nbd (line 9)',
    ]);
  });
});
