/**
 * Non-stop service as a client sees it (issue #12), end to end in the network-namespace lab: real
 * QEMU in the hosts' namespaces, the guest on a bridged LAN with one address, real sshd, the real CLI.
 * A client in the client namespace holds ONE TCP connection to the guest's stream (a line every
 * 100 ms, `seq=N boot=ID`) and polls its HTTP, both at the guest's LAN address, throughout:
 *
 * 0. in COLO only the primary's copy is on the LAN (the secondary's output goes through its
 *    redirector to the primary's compare): the lab switch learns the guest's MAC at alpha's port only;
 * 1. the primary's host is killed (`colo lab kill-host alpha`: links down, every process killed) and
 *    `colo failover --to secondary` is issued at once: it cannot reach alpha over SSH, so it fences it
 *    with the lab's fence.command and promotes beta;
 * 2. alpha is revived (sshd, no QEMU) and `colo apply` re-protects onto it;
 * 3. the secondary's host (alpha again) is killed and `colo failover --to primary` leaves beta alone.
 *
 * After each: the same connection continues (no reset, no hole, no repeat, the same boot id), HTTP
 * answers with that boot id, and the longest silence of the stream is printed. Step 3 needs the
 * survivor's connections to the dead host yanked before it leaves COLO (wp-yank): without that its
 * x-blockdev-change waits on the NBD connection to a host that answers nothing.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { colo } from '../helpers/cli.ts';
import { epochMs, longestSilence, type LanClient } from '../helpers/lan-client.ts';
import { labQemuPid, netnsSkipReason, startNetnsPair } from '../helpers/netns-pair.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';
import { labNames } from '../../src/lab/netns/names.ts';

const skip = netnsSkipReason();

/** The lab switch's ports (in its LAN bridge's forwarding table) where a MAC was learned. */
function switchPortsOf(info: NetnsLabInfo, mac: string): string[] {
  const n = labNames(info.suffix);
  const out = execFileSync('bridge', ['-n', n.ns.net, '-j', 'fdb', 'show', 'br', n.bridges.lan], { encoding: 'utf8' });
  return (JSON.parse(out) as { mac: string; ifname: string }[]).filter((e) => e.mac === mac).map((e) => e.ifname);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('one TCP connection across host deaths (netns lab, bridged LAN)', { skip, timeout: 900_000 }, () => {
  let parent: string;
  let dir: string;
  let info: NetnsLabInfo;
  let spec: string;
  let client: LanClient;
  let boot: string;
  const silences: string[] = [];

  before(async () => {
    ({ parent, dir, info, spec, client, boot } = await startNetnsPair('colo-stream-'));
    assert.equal((await client.httpAnswerAfter(0, 30_000)).boot, boot, 'HTTP and the stream: one guest');
  });

  after(async () => {
    await client?.stop();
    if (silences.length) process.stderr.write(`stream-failover: longest silence ${silences.join('; ')}\n`);
    if (dir && existsSync(path.join(dir, 'lab.json'))) await colo(['lab', 'down', '--dir', dir]);
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  test("in COLO only the primary's copy is on the LAN: the switch learns the guest's MAC at alpha's port", async () => {
    const n = labNames(info.suffix);
    const mac = info.guests![0]!.nics[0]!.mac;
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      for (const port of switchPortsOf(info, mac)) seen.add(port);
      await sleep(100);
    }
    assert.deepEqual([...seen], [n.ports.alpha.lan], `the guest's MAC ${mac} seen at ${[...seen].join(', ')}`);
  });

  /** The stream went on (30 more lines), flawless, and HTTP answers; reports its longest silence since `since`. */
  async function streamKeptUp(t: TestContext, what: string, since: number): Promise<number> {
    await client.moreLines(30, 60_000);
    assert.deepEqual(client.problems(), [], `${what}: the stream`);
    assert.equal(client.lines.at(-1)!.boot, boot, `${what}: the same boot id`);
    const http = await client.httpAnswerAfter(epochMs(), 30_000);
    assert.equal(http.boot, boot, `${what}: HTTP answers from the same guest`);
    const s = longestSilence(client.lines, since);
    const n = client.lines.length;
    const line = `${what}: ${Math.round(s.ms)} ms (before seq=${s.seq}; ${n} lines on one connection)`;
    t.diagnostic(`longest silence, ${line}`);
    silences.push(line);
    return s.ms;
  }

  test('the primary host dies; failover --to secondary at once fences it and the connection continues', async (t) => {
    await client.moreLines(5, 10_000);
    const since = epochMs();
    const kill = await colo(['lab', 'kill-host', 'alpha', '--dir', dir]);
    assert.equal(kill.code, 0, kill.stdout + kill.stderr);
    assert.match(kill.stdout, /Host alpha powered off: links down, \d+ process\(es\) killed/);
    assert.equal(labQemuPid(dir, 'alpha'), null, "alpha's QEMU is dead");
    const r = await colo(['failover', '-f', spec, '--to', 'secondary']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /web now runs alone on beta \(alpha fenced: fence-command\)/);
    t.diagnostic(r.stdout.trim());
    await streamKeptUp(t, 'host kill + failover to secondary', since);
    assert.deepEqual(switchPortsOf(info, info.guests![0]!.nics[0]!.mac), [labNames(info.suffix).ports.beta.lan]);
  });

  test('alpha revived: colo apply re-protects onto it with the stream still open', async (t) => {
    const rev = await colo(['lab', 'revive-host', 'alpha', '--dir', dir]);
    assert.equal(rev.code, 0, rev.stdout + rev.stderr);
    assert.equal(labQemuPid(dir, 'alpha'), null, 'a revived host runs no QEMU');
    const since = epochMs();
    const apply = await colo(['apply', '-f', spec, '--auto-approve']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.ok(labQemuPid(dir, 'alpha'), 'a new secondary on alpha');
    const st = await colo(['status', '-f', spec]);
    assert.match(st.stdout, /web: PROTECTED - in COLO: beta primary, alpha secondary/, st.stdout);
    await streamKeptUp(t, 're-protection onto alpha', since);
  });

  test("the secondary's host dies; failover --to primary keeps the connection", async (t) => {
    await client.moreLines(5, 10_000);
    const since = epochMs();
    const kill = await colo(['lab', 'kill-host', 'alpha', '--dir', dir]);
    assert.equal(kill.code, 0, kill.stdout + kill.stderr);
    const r = await colo(['failover', '-f', spec, '--to', 'primary']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /web now runs alone on beta \(alpha fenced: fence-command\)/);
    t.diagnostic(r.stdout.trim());
    await streamKeptUp(t, 'secondary host kill + failover to primary', since);
  });
});
