// The cluster: section: defaults resolved, fencing mandatory, addresses and qdevice checked, and the
// fleet -> clusters mapping (connected components of the pair graph).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { clusterLayouts } from '../../../src/spec/cluster-layout.ts';
import { SPEC_ENV } from './spec-env.ts';

function spec(cluster: string, fence = true): string {
  const f = fence ? ', fence: { command: [/bin/true] }' : '';
  return `apiVersion: colo/v1
hosts:
  a: { ssh: { address: 198.18.50.1 }${f} }
  b: { ssh: { address: 198.18.50.2 }${f} }
  q: { ssh: { address: 198.18.50.3 } }
vms:
  web:
    primary: a
    secondary: b
    disks: [{ image: /i.qcow2, size: 64M }]
cluster:
${cluster}
`;
}

function load(text: string) {
  const r = loadSpecText(text, 's.yaml', SPEC_ENV);
  return { spec: r.spec, messages: r.diagnostics.map(formatDiagnostic) };
}

describe('cluster: section', () => {
  test('defaults: token 300ms, knet 100/1000ms, aes256/sha256, 1s delay, fence.command, replication address', () => {
    const { spec: s, messages } = load(spec('  name: lab'));
    assert.deepEqual(messages, []);
    assert.deepEqual(s!.cluster, {
      name: 'lab',
      tokenMs: 300,
      knetPingIntervalMs: 100,
      knetPingTimeoutMs: 1000,
      cryptoCipher: 'aes256',
      cryptoHash: 'sha256',
      priorityFencingDelayMs: 1000,
      hosts: {
        a: { name: 'a', addresses: ['198.18.50.1'], fencing: { kind: 'fence-command' } },
        b: { name: 'b', addresses: ['198.18.50.2'], fencing: { kind: 'fence-command' } },
      },
    });
  });
  test('services: direct (no systemd, the lab) is kept; absent means systemd; anything else is refused', () => {
    assert.equal(load(spec('  services: direct')).spec!.cluster!.services, 'direct');
    assert.equal(load(spec('  name: lab')).spec!.cluster!.services, undefined);
    const bad = load(spec('  services: runit')).messages;
    assert.ok(
      bad.some((m) => /cluster\.services/.test(m)),
      bad.join('\n'),
    );
  });
  test('a fence agent with parameters, two links, a qdevice', () => {
    const { spec: s, messages } = load(
      spec(
        `  qdevice: { host: q }
  hosts:
    a:
      addresses: [198.18.50.1, 198.18.51.1]
      fencing: { agent: fence_ipmilan, params: { ip: 198.18.60.1, lanplus: true } }
    b: { addresses: [198.18.50.2, 198.18.51.2] }`,
      ),
    );
    assert.deepEqual(messages, []);
    assert.deepEqual(s!.cluster!.hosts['a']!.fencing, {
      kind: 'agent',
      agent: 'fence_ipmilan',
      params: { ip: '198.18.60.1', lanplus: '1' },
    });
    assert.deepEqual(s!.cluster!.qdevice, { host: 'q', address: '198.18.50.3', algorithm: 'ffsplit' });
  });
  test('refused: no fencing, stonith disabled, with the reason', () => {
    const noFence = load(spec('  name: lab', false)).messages;
    assert.ok(noFence.some((m) => /host a runs a VM but has no fencing: in a two-node partition/.test(m)));
    const off = load(spec('  stonithEnabled: false')).messages;
    assert.ok(
      off.some((m) => /^s\.yaml:\d+:\d+: cluster\.stonithEnabled: colo refuses a cluster without fencing/.test(m)),
    );
  });
  test('refused: a qdevice host of the pair, loopback or any-address links, unequal links, bad delays', () => {
    const q = load(spec('  qdevice: { host: a }')).messages;
    assert.ok(
      q.some((m) => /cluster\.qdevice\.host: host a runs VM web/.test(m)),
      q.join('\n'),
    );
    const lo = load(spec('  hosts: { a: { addresses: [127.0.0.1] }, b: { addresses: [0.0.0.0] } }')).messages;
    assert.ok(
      lo.some((m) => /addresses\[0\]: 127\.0\.0\.1 is a loopback address/.test(m)),
      lo.join('\n'),
    );
    assert.ok(lo.some((m) => /0\.0\.0\.0 means "any address"/.test(m)));
    const links = load(spec('  hosts: { a: { addresses: [198.18.50.1, 198.18.51.1] } }')).messages;
    assert.ok(
      links.some((m) => /host b has 1 cluster link\(s\) but host a/.test(m)),
      links.join('\n'),
    );
    assert.ok(load(spec('  priorityFencingDelay: 1500ms')).messages.some((m) => /whole seconds/.test(m)));
    assert.ok(load(spec('  priorityFencingDelay: 0s')).messages.some((m) => /at least 1s without a qdevice/.test(m)));
    assert.ok(load(spec('  knet: { pingInterval: 2s }')).messages.some((m) => /below pingTimeout/.test(m)));
  });
});

describe('clusterLayouts', () => {
  test('disjoint pairs: one two-node cluster each', () => {
    const l = clusterLayouts('colo', [
      { vm: 'web', primary: 'a', secondary: 'b' },
      { vm: 'db', primary: 'd', secondary: 'c' },
    ]);
    assert.deepEqual(
      l.map((c) => [c.name, c.hosts, c.pairs.map((p) => p.vm)]),
      [
        ['colo-a', ['a', 'b'], ['web']],
        ['colo-c', ['c', 'd'], ['db']],
      ],
    );
  });
  test('pairs sharing a host join one cluster; two pairs on the same hosts share it', () => {
    const l = clusterLayouts('colo', [
      { vm: 'web', primary: 'a', secondary: 'b' },
      { vm: 'db', primary: 'c', secondary: 'b' },
      { vm: 'mail', primary: 'b', secondary: 'a' },
      { vm: 'x', primary: 'e', secondary: 'f' },
      { vm: 'y', primary: 'f', secondary: 'e' },
    ]);
    assert.deepEqual(
      l.map((c) => [c.name, c.hosts, c.pairs.map((p) => p.vm)]),
      [
        ['colo-a', ['a', 'b', 'c'], ['db', 'mail', 'web']],
        ['colo-e', ['e', 'f'], ['x', 'y']],
      ],
    );
  });
});
