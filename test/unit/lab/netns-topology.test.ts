/**
 * The network-namespace lab as data (src/lab/netns/topology.ts, names.ts): interface names fit Linux's
 * 15 characters, every address is in 198.18.0.0/15, no default route, the teardown removes everything
 * the setup makes, two labs share no name; and the executor (apply-topology.ts) on a fake runner.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labAddresses, labNames, slotOf } from '../../../src/lab/netns/names.ts';
import { buildTopology, teardownArgv } from '../../../src/lab/netns/topology.ts';
import { applySetup, applyTeardown, type ArgvResult } from '../../../src/lab/netns/apply-topology.ts';

const T = buildTopology('0a1b2c', 127, '/tmp/some lab', 3);

/** Every interface name the setup creates (link add NAME ... [peer name NAME]). */
function createdLinks(argvs: string[][]): string[] {
  const names: string[] = [];
  for (const a of argvs) {
    const i = a.indexOf('add');
    if (a[i - 1] !== 'link') continue;
    names.push(a[i + 1] as string);
    const p = a.indexOf('peer');
    if (p >= 0) names.push(a[p + 2] as string);
  }
  return names;
}

const setupArgv = T.setup.map((s) => s.argv);

/** IPv4 addresses (with or without a prefix) anywhere in the argv. */
function addressesIn(argvs: string[][]): string[] {
  return argvs.flat().filter((w) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(w));
}

function inside198(a: string): boolean {
  const [o1, o2] = a.split('.').map(Number);
  return o1 === 198 && (o2 === 18 || o2 === 19);
}

describe('netns lab topology', () => {
  test('every interface name is at most 15 characters and carries the suffix', () => {
    const links = createdLinks(setupArgv);
    assert.ok(links.length >= 20, links.join(' '));
    for (const l of links) {
      assert.ok(l.length <= 15, `${l} is ${l.length} characters`);
      assert.ok(l.includes('0a1b2c'), `${l} does not carry the suffix`);
    }
    for (const ns of T.namespaces) assert.match(ns, /^colo-0a1b2c-(alpha|beta|client|net)$/);
  });

  test('every address is inside 198.18.0.0/15, in every slot, including the planned guests', () => {
    for (const slot of [0, 1, 63, 64, 127]) {
      const t = buildTopology('abcdef', slot, '/d', 99);
      const all = [...addressesIn(t.setup.map((s) => s.argv)), ...t.addresses.lan.guests];
      assert.ok(all.length > 10);
      for (const a of all) assert.ok(inside198(a), `slot ${slot}: ${a}`);
    }
    assert.throws(() => labAddresses(128), /slot/);
    assert.equal(slotOf(labAddresses(127).repl.hosts.beta), 127);
    assert.equal(slotOf(labAddresses(0).p2p.root), 0);
  });

  test('no default route anywhere; the root namespace gets one link and one route to the management /24', () => {
    const routes = setupArgv.filter((a) => a.includes('route'));
    for (const r of routes) {
      assert.ok(!r.includes('default') && !r.includes('0.0.0.0/0'), r.join(' '));
      const dst = r[r.indexOf('add') + 1] as string;
      assert.ok(inside198(dst), r.join(' '));
    }
    const rootChanges = setupArgv.filter((a) => a[0] === 'ip' && a[1] !== '-n' && a[1] !== 'netns');
    for (const a of rootChanges) assert.ok(a.includes(T.names.rootLink), `root change not on the lab's link: ${a}`);
    const rootRoutes = rootChanges.filter((a) => a[1] === 'route');
    assert.deepEqual(rootRoutes, [
      ['ip', 'route', 'add', T.addresses.mgmt.subnet, 'via', T.addresses.p2p.net, 'dev', 'c0a1b2c-mg'],
    ]);
  });

  test('every command is an argv array, no shell', () => {
    for (const a of [...setupArgv, ...T.teardown]) {
      assert.ok(Array.isArray(a) && a.length > 1 && a.every((w) => typeof w === 'string'));
      assert.notEqual(a[0], 'sh');
      assert.notEqual(a[0], 'bash');
    }
  });

  test('the teardown mirrors the setup: the undos, last first, and it needs only the suffix', () => {
    const undos = T.setup.flatMap((s) => (s.undo ? [s.undo] : [])).reverse();
    assert.deepEqual(T.teardown, undos);
    assert.deepEqual(teardownArgv('0a1b2c'), T.teardown);
    for (const ns of T.namespaces) assert.ok(T.teardown.some((a) => a.join(' ') === `ip netns del ${ns}`));
    // Every link made in the root namespace is deleted; every other link lives in a namespace that is.
    assert.ok(T.teardown.some((a) => a.join(' ') === `ip link del ${T.names.rootLink}`));
    for (const a of setupArgv.filter((x) => x.includes('add') && x[1] === '-n'))
      assert.ok(T.namespaces.includes(a[2] as string), a.join(' '));
  });

  test('two suffixes share no name', () => {
    const other = buildTopology('ffffff', 127, '/tmp/some lab', 3);
    const namesOf = (t: typeof T): Set<string> =>
      new Set([...createdLinks(t.setup.map((s) => s.argv)), ...t.namespaces]);
    const a = namesOf(T);
    for (const n of namesOf(other)) assert.ok(!a.has(n), `${n} is in both labs`);
    assert.throws(() => labNames('XYZ'), /6 hex digits/);
  });
});

describe('netns lab executor', () => {
  const ok: ArgvResult = { code: 0, stdout: '', stderr: '' };

  test('setup stops at the first failure, undoes what it made (last first) and names the command', async () => {
    const ran: string[] = [];
    const run = async (argv: readonly string[]): Promise<ArgvResult> => {
      ran.push(argv.join(' '));
      if (argv.join(' ') === 'ip link add c0a1b2c-mg type veth peer name c0a1b2c-up netns colo-0a1b2c-net')
        return { code: 2, stdout: '', stderr: 'RTNETLINK answers: File exists\n' };
      return ok;
    };
    await assert.rejects(applySetup(T.setup, run), (e: Error) => {
      assert.match(
        e.message,
        /"ip link add c0a1b2c-mg type veth .*" failed \(exit 2\): RTNETLINK answers: File exists/,
      );
      return true;
    });
    const failedAt = ran.findIndex((r) => r.startsWith('ip link add c0a1b2c-mg'));
    assert.deepEqual(ran.slice(failedAt + 1), [
      'ip netns del colo-0a1b2c-client',
      'ip netns del colo-0a1b2c-beta',
      'ip netns del colo-0a1b2c-alpha',
      'ip netns del colo-0a1b2c-net',
    ]);
  });

  test('teardown takes "already gone" as done and reports any other failure after trying every removal', async () => {
    const gone = async (argv: readonly string[]): Promise<ArgvResult> =>
      argv[2] === 'pids'
        ? { code: 1, stdout: '', stderr: 'Cannot open network namespace' }
        : {
            code: 1,
            stdout: '',
            stderr:
              argv[1] === 'link'
                ? 'Cannot find device "c0a1b2c-mg"'
                : 'Cannot remove namespace file "/run/netns/x": No such file or directory',
          };
    const r = await applyTeardown(T.namespaces, T.teardown, gone);
    assert.deepEqual(r, { killed: 0, removed: [] });
    const ran: string[] = [];
    const busy = async (argv: readonly string[]): Promise<ArgvResult> => {
      ran.push(argv.join(' '));
      return argv[1] === 'link' ? { code: 2, stdout: '', stderr: 'Operation not permitted' } : ok;
    };
    await assert.rejects(
      applyTeardown([], T.teardown, busy),
      /ip link del c0a1b2c-mg" failed .*Operation not permitted/,
    );
    assert.equal(ran.length, T.teardown.length);
  });
});
