/**
 * The netns lab's spec and host faults as data (src/lab/netns/netns-lab-spec.ts, host-links.ts): the
 * spec loads without a diagnostic; both QEMUs of a VM get the same tap NIC (vhost off, the lab's ifup
 * script, the same MAC) and the same static LAN address; every proxy chardev and the migration
 * (and the replicationAddress NBD uses) are on the replication network; each host's fence command
 * is `colo lab kill-host NAME --dir D`; the ifup script joins the tap to the lab's bridge and holds
 * no spec value; and kill-host, revive, cut and heal touch only the named host's links.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { loadSpecText } from '../../../src/spec/index.ts';
import { renderPrimaryArgv, renderSecondaryArgv } from '../../../src/render/argv.ts';
import { initialPlacement } from '../../../src/render/placement.ts';
import { dialectForVersion } from '../../../src/render/dialect.ts';
import { netnsLabGuests, netnsLabSpec, tapUpScript } from '../../../src/lab/netns/netns-lab-spec.ts';
import { healArgv, hostLinksArgv, reviveArgv, switchPortArgv } from '../../../src/lab/netns/host-links.ts';
import { buildTopology } from '../../../src/lab/netns/topology.ts';

const t = buildTopology('0a1b2c', 9, '/lab', 2);
const fence = (h: string): string[] => ['/usr/bin/node', '/colo/bin/colo.js', 'lab', 'kill-host', h, '--dir', '/lab'];
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
  images: ['/lab/images/web-disk0.qcow2', '/lab/images/web2-disk0.qcow2'],
  tapScript: '/lab/net/qemu-ifup',
  fenceCommand: fence,
});
const loaded = loadSpecText(stringify(doc), 'colo.yaml', { defaultUser: 'root', homeDir: '/root' });
const opts = { dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }), kvmAvailable: false };

/** The values of every `-flag` in an argv. */
const valuesOf = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (argv[i - 1] === flag ? [a] : []));

describe('netns lab spec', () => {
  test('loads without a diagnostic; fence commands are kill-host of each host', () => {
    assert.deepEqual(loaded.diagnostics, []);
    const spec = loaded.spec!;
    assert.deepEqual(
      spec.vms.map((v) => v.name),
      ['web', 'web2'],
    );
    for (const [name, h] of Object.entries(spec.hosts)) assert.deepEqual(h.fence?.command, fence(name));
  });

  test("both sides: the same tap NIC (vhost off, the lab's ifup script, one MAC), the same LAN address", () => {
    const spec = loaded.spec!;
    const guests = netnsLabGuests(t, 2);
    for (const [i, vm] of spec.vms.entries()) {
      const p = initialPlacement(vm);
      const pri = renderPrimaryArgv(spec, vm, p, opts);
      const sec = renderSecondaryArgv(spec, vm, p, opts);
      const mac = guests[i]!.nics[0]!.mac;
      for (const argv of [pri, sec]) {
        assert.deepEqual(valuesOf(argv, '-netdev'), ['tap,id=net0,vhost=off,script=/lab/net/qemu-ifup,downscript=no']);
        assert.deepEqual(
          valuesOf(argv, '-device').filter((d) => d.startsWith('virtio-net-pci')),
          [`virtio-net-pci,id=nic-net0,netdev=net0,mac=${mac}`],
        );
        assert.deepEqual(valuesOf(argv, '-append'), [
          `console=ttyS0 quiet panic=1 colo.ip0=${t.addresses.lan.guests[i]}/24`,
        ]);
      }
      assert.notEqual(guests[0]!.nics[0]!.mac, guests[1]!.nics[0]!.mac, 'two VMs, two MACs');
    }
  });

  test('proxy chardevs and migration are on the replication network', () => {
    const spec = loaded.spec!;
    const vm = spec.vms[0]!;
    const p = initialPlacement(vm);
    const { alpha, beta } = t.addresses.repl.hosts;
    const pri = valuesOf(renderPrimaryArgv(spec, vm, p, opts), '-chardev').filter((c) => c.includes('host='));
    const sec = renderSecondaryArgv(spec, vm, p, opts);
    assert.equal(pri.length, 2);
    for (const c of pri) assert.ok(c.includes(`host=${alpha},`), c);
    const secTcp = valuesOf(sec, '-chardev').filter((c) => c.includes('host='));
    assert.equal(secTcp.length, 2);
    for (const c of secTcp) assert.ok(c.includes(`host=${alpha},`), c);
    assert.deepEqual(valuesOf(sec, '-incoming'), [`tcp:${beta}:${vm.ports.migration}`]);
    for (const name of ['alpha', 'beta'] as const)
      assert.equal(spec.hosts[name]?.replicationAddress, t.addresses.repl.hosts[name]);
  });

  test("the ifup script joins the tap to the lab's bridge and takes nothing but QEMU's tap name", () => {
    const s = tapUpScript(t.names.inner.hostBridge);
    assert.match(s, /^#!\/bin\/sh\n/);
    assert.ok(s.includes('ip link set dev "$1" master c0a1b2c-hbr\n'), s);
    assert.ok(s.includes('ip link set dev "$1" up\n'), s);
    assert.equal(s.match(/\$\w+/g)?.join(' '), '$1 $1', 'no variable but the tap name');
    assert.throws(() => tapUpScript('br0; reboot'), /not a lab bridge name/);
  });
});

describe('netns lab host faults as argv', () => {
  const n = t.names;
  test("kill-host / revive-host: the host's own three link ends, in its namespace only", () => {
    assert.deepEqual(hostLinksArgv(n, 'alpha', 'down'), [
      ['ip', '-n', 'colo-0a1b2c-alpha', 'link', 'set', 'c0a1b2c-mgmt', 'down'],
      ['ip', '-n', 'colo-0a1b2c-alpha', 'link', 'set', 'c0a1b2c-lan', 'down'],
      ['ip', '-n', 'colo-0a1b2c-alpha', 'link', 'set', 'c0a1b2c-repl', 'down'],
    ]);
    for (const a of hostLinksArgv(n, 'beta', 'up')) assert.deepEqual(a.slice(0, 3), ['ip', '-n', 'colo-0a1b2c-beta']);
  });

  test('revive-host also puts back the route to the root namespace that the kernel dropped with the link', () => {
    const argv = reviveArgv(n, t.addresses, 'beta');
    assert.deepEqual(argv.slice(0, 3), hostLinksArgv(n, 'beta', 'up'));
    const setupRoute = t.setup.map((x) => x.argv).find((a) => a.includes('route') && a[2] === 'colo-0a1b2c-beta');
    assert.deepEqual(
      argv[3],
      setupRoute!.map((w) => (w === 'add' ? 'replace' : w)),
    );
  });

  test("cut / heal: the lab switch's port of that host's link, in the net namespace", () => {
    assert.deepEqual(switchPortArgv(n, 'beta', 'lan', 'down'), [
      ...['ip', '-n', 'colo-0a1b2c-net', 'link', 'set', 'c0a1b2c-lb', 'down'],
    ]);
    assert.deepEqual(switchPortArgv(n, 'alpha', 'replication', 'down'), [
      ...['ip', '-n', 'colo-0a1b2c-net', 'link', 'set', 'c0a1b2c-ra', 'down'],
    ]);
    assert.deepEqual(healArgv(n, 'alpha'), [
      ['ip', '-n', 'colo-0a1b2c-net', 'link', 'set', 'c0a1b2c-la', 'up'],
      ['ip', '-n', 'colo-0a1b2c-net', 'link', 'set', 'c0a1b2c-ra', 'up'],
    ]);
  });
});
