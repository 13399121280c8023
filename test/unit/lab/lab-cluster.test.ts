/**
 * The netns lab's cluster as data: the `cluster:` section `lab up --cluster` writes loads into the
 * settings the lab needs (direct services, token 300 ms, knet 100/1000 ms, 1 s fencing delay, the
 * replication addresses, fence.command fencing); a missing package is refused with the install
 * command; each host's launcher and init script (src/lab/netns/host-root.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { loadSpecText } from '../../../src/spec/index.ts';
import { netnsLabSpec } from '../../../src/lab/netns/netns-lab-spec.ts';
import { buildTopology } from '../../../src/lab/netns/topology.ts';
import {
  assertClusterPackages,
  labClusterSection,
  missingClusterPackages,
} from '../../../src/lab/netns/lab-cluster.ts';
import { HOST_INIT_SCRIPT, hostLauncher, hostRootDir } from '../../../src/lab/netns/host-root.ts';

const t = buildTopology('0a1b2c', 9, '/lab', 1);
const doc = netnsLabSpec({
  t,
  hosts: (['alpha', 'beta'] as const).map((name) => ({
    name,
    address: t.addresses.mgmt.hosts[name],
    port: 22,
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClsiY8cjax77k5FLp1+BMsi597nt3SQhckSwCVBpjGE',
    workDir: `/lab/hosts/${name}`,
  })),
  user: 'root',
  identityFile: '/lab/ssh/client_ed25519',
  qemu: { binary: '/q/qemu-system-x86_64', firmware: ['/usr/share/seabios'] },
  guest: { kernel: '/g/vmlinuz', initrd: '/g/initrd.img', cmdline: 'console=ttyS0 quiet panic=1' },
  images: ['/lab/images/web-disk0.qcow2'],
  tapScript: '/lab/net/qemu-ifup',
  fenceCommand: (h) => ['/usr/bin/node', '/colo/bin/colo.js', 'lab', 'kill-host', h, '--dir', '/lab'],
});
doc['cluster'] = labClusterSection();

describe('netns lab cluster', () => {
  test("the spec's cluster: loads with the lab's settings", () => {
    const r = loadSpecText(stringify(doc), 'colo.yaml', { defaultUser: 'root', homeDir: '/root' });
    assert.deepEqual(r.diagnostics, []);
    const c = r.spec!.cluster!;
    assert.equal(c.services, 'direct');
    assert.equal(c.tokenMs, 300);
    assert.equal(c.knetPingIntervalMs, 100);
    assert.equal(c.knetPingTimeoutMs, 1000);
    assert.equal(c.priorityFencingDelayMs, 1000);
    assert.deepEqual(c.hosts['alpha']?.addresses, [t.addresses.repl.hosts.alpha]);
    assert.deepEqual(c.hosts['beta']?.fencing, { kind: 'fence-command' });
  });

  test('a missing package is refused with the install command', () => {
    assert.deepEqual(
      missingClusterPackages(() => true),
      [],
    );
    assert.deepEqual(
      missingClusterPackages((p) => !p.includes('pacemakerd')),
      ['pacemaker'],
    );
    assert.throws(() => assertClusterPackages((p) => !p.includes('corosync')), /apt-get install .*corosync/);
  });

  test('each host runs through unshare -m -u and the init script with its own root', () => {
    assert.deepEqual(hostLauncher('/lab', 'alpha'), [
      'unshare',
      '-m',
      '-u',
      '--propagation',
      'private',
      '/lab/net/host-init',
      hostRootDir('/lab', 'alpha'),
      'alpha',
    ]);
    // overlay options split on commas and colons: such a lab directory is refused up front
    assert.throws(() => hostLauncher('/tmp/a,b', 'alpha'), /choose another --dir/);
    assert.throws(() => hostLauncher('/tmp/a:b', 'alpha'), /choose another --dir/);
    assert.throws(() => hostLauncher('/tmp/a b', 'alpha'), /choose another --dir/);
  });

  test('the init script parses and makes each private mount before it execs', () => {
    assert.equal(spawnSync('sh', ['-n', '-c', HOST_INIT_SCRIPT]).status, 0);
    for (const m of ['/etc/corosync', '/var/lib/pacemaker', '/var/lib/corosync', '/var/log/cluster'])
      assert.ok(HOST_INIT_SCRIPT.includes(` ${m}\n`), m);
    assert.match(HOST_INIT_SCRIPT, /mount -t tmpfs .* \/run\n/);
    assert.match(HOST_INIT_SCRIPT, /mount -t tmpfs .* \/dev\/shm\n/);
    assert.ok(HOST_INIT_SCRIPT.indexOf('/dev/shm') < HOST_INIT_SCRIPT.indexOf('exec "$@"'));
  });
});
