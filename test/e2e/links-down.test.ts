/**
 * A host whose links all go down while everything on it runs (issue #14, item 2), end to end in the
 * network-namespace lab: real QEMU in the hosts' namespaces, real sshd, the real CLI. `colo lab
 * isolate-host` sets the host's management, LAN and replication link ends down and kills nothing:
 * its QEMU runs on, unreachable, with its connections to the survivor open (no FIN, no RST: the
 * survivor's NBD, proxy and migration sockets wait on a silent peer). `colo failover --json` is
 * issued at once and must
 *
 * - find the host unreachable within the host deadline (--health-deadline 500 ms plus
 *   HOST_DEADLINE_EXTRA_MS for the SSH part), once: its host lock and its observation together
 *   (before the fix each waited the 20 s host-lock timeout: 41 s), fence it with the lab's fence.command
 *   (`colo lab kill-host`), yank the survivor's connections to it, promote, and finish;
 * - do so within a stated wall-time bound, measured from the command's spawn to its exit; the JSON
 *   timings say where the time went (printed as diagnostics);
 *
 * and the guest's one TCP connection from the client namespace carries on. Then `colo status --json`
 * (the host still cut off) returns within the health deadline plus the host deadline (plus Node's
 * start-up) and calls that host unreachable. Both directions: the primary's host cut off, `--to
 * secondary`; after re-protection, the secondary's host cut off, `--to primary`.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { colo, type CliResult } from '../helpers/cli.ts';
import { epochMs, longestSilence, type LanClient } from '../helpers/lan-client.ts';
import { labQemuPid, netnsSkipReason, startNetnsPair } from '../helpers/netns-pair.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';
import { DEFAULT_HEALTH_DEADLINE_MS, HOST_DEADLINE_EXTRA_MS } from '../../src/engine/failover.ts';

const skip = netnsSkipReason();

/** How long a host to fence may take to be found unreachable: the health deadline plus the SSH part. */
const HOST_DEADLINE_MS = DEFAULT_HEALTH_DEADLINE_MS + HOST_DEADLINE_EXTRA_MS;
/**
 * What the failover may take beyond Node's start-up (measured just before: `colo validate`), finding
 * the host unreachable and running its fence command: the state, the survivor's SSH lock and
 * observation, its QMP (yank, promote, announce, verify), the state write. About 0.6 s measured with
 * the two TCG QEMUs beside it; the rest is margin for a loaded 2-CPU machine.
 */
const FAILOVER_OWN_WORK_MS = 2000;
/** `colo status` beyond Node's start-up, the health deadline and the host deadline: the survivor's SSH and QMP. */
const STATUS_MARGIN_MS = 1000;

interface FailoverDoc {
  results: {
    vm: string;
    outcome: string;
    survivor: string;
    fenced: string;
    fencing: string;
    timings: { connectMs: number; fenceMs: number; qmpMs: number; verifyMs: number; totalMs: number };
    yanked?: string[];
    fencedHung?: boolean;
    message: string;
  }[];
  errors: { vm: string; kind: string; error: string }[];
}
interface SideDoc {
  host: string;
  reachable: boolean;
  running: boolean;
}
interface StatusDoc {
  vms: { vm: string; health: string; summary: string; primary: SideDoc; secondary: SideDoc }[];
}

/** The lab's namespaces that exist now. */
function labNamespacesLeft(suffix: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((ns) => ns.includes(suffix));
}

describe('all links of a host down, its processes running (netns lab)', { skip, timeout: 900_000 }, () => {
  let parent: string;
  let dir: string;
  let info: NetnsLabInfo;
  let spec: string;
  let client: LanClient;
  let boot: string;
  const figures: string[] = [];

  before(async () => {
    ({ parent, dir, info, spec, client, boot } = await startNetnsPair('colo-links-down-'));
  });

  after(async () => {
    await client?.stop();
    if (figures.length) process.stderr.write(`links-down:\n  ${figures.join('\n  ')}\n`);
    if (dir && existsSync(path.join(dir, 'lab.json'))) {
      const down = await colo(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
      assert.equal(down.code, 0, down.stdout + down.stderr);
    }
    if (parent) await rm(parent, { recursive: true, force: true });
    if (info) assert.deepEqual(labNamespacesLeft(info.suffix), [], 'the lab left no namespace behind');
  });

  /** Cuts `host` off (links down) and checks that its QEMU still runs: isolated, not dead. */
  async function isolate(host: 'alpha' | 'beta'): Promise<number> {
    const pid = labQemuPid(dir, host);
    assert.ok(pid, `${host} runs a QEMU before it is cut off`);
    const r = await colo(['lab', 'isolate-host', host, '--dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Host ${host} isolated: links down, \\d+ process\\(es\\) still running`));
    assert.equal(labQemuPid(dir, host), pid, `${host}'s QEMU still runs, cut off`);
    return pid;
  }

  /** The wall time of `colo validate` (Node's start-up, the CLI and the spec loaded) on this machine now. */
  async function startupMs(): Promise<number> {
    const r = await colo(['validate', '-f', spec]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return Math.round(r.ms);
  }

  /** `colo failover --to <to> --json` at once; its JSON checked; its wall time bounded and reported. */
  async function failoverNow(
    t: TestContext,
    to: 'secondary' | 'primary',
    lost: 'alpha' | 'beta',
    survivor: 'alpha' | 'beta',
    startup: number,
  ): Promise<{ r: CliResult; doc: FailoverDoc }> {
    const r = await colo(['failover', '-f', spec, '--to', to, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as FailoverDoc;
    assert.deepEqual(doc.errors, []);
    const res = doc.results[0]!;
    const tm = res.timings;
    const wall = Math.round(r.ms);
    const line =
      `${lost} cut off, failover --to ${to}: wall ${wall} ms (spawn to exit) = connect ${tm.connectMs} + fence ` +
      `${tm.fenceMs} + QMP ${tm.qmpMs} + verify ${tm.verifyMs} (failover total ${tm.totalMs}) + ` +
      `${wall - tm.totalMs} outside it (Node start-up, spec, locks, state write); without the fence command ` +
      `${wall - tm.fenceMs} ms; Node start-up (colo validate) ${startup} ms; yanked ${(res.yanked ?? []).join(', ')}`;
    t.diagnostic(line);
    figures.push(line);
    assert.deepEqual(
      [res.vm, res.outcome, res.survivor, res.fenced, res.fencing],
      ['web', 'promoted', survivor, lost, 'fence-command'],
      res.message,
    );
    assert.ok(res.yanked && res.yanked.length > 0, `the survivor's connections to ${lost} were yanked: ${res.message}`);
    assert.ok(res.yanked.includes('migration'), `the migration among them: ${res.yanked.join(', ')}`);
    assert.match(res.message, new RegExp(`Yanked on ${survivor}: `));
    // Finding the host unreachable costs the host deadline, no more (a lock or a connect that waits
    // for the kernel's own give-up would show here).
    assert.ok(
      tm.connectMs <= HOST_DEADLINE_MS + 500,
      `observing took ${tm.connectMs} ms; the host deadline is ${HOST_DEADLINE_MS} ms`,
    );
    // The whole command: Node's start-up, the host deadline, the fence command (its own process: Node
    // again), and the failover's own work.
    const bound = startup + HOST_DEADLINE_MS + tm.fenceMs + FAILOVER_OWN_WORK_MS;
    assert.ok(wall <= bound, `failover took ${wall} ms (bound ${bound} ms: ${line})`);
    assert.equal(labQemuPid(dir, lost), null, `the fence command killed ${lost}'s isolated QEMU`);
    return { r, doc };
  }

  /** `colo status --json` with `lost` cut off: in time, and it names that host unreachable. */
  async function statusNames(t: TestContext, lost: 'alpha' | 'beta', survivor: 'alpha' | 'beta'): Promise<void> {
    const startup = await startupMs();
    // --sample 0s: no checkpoint sampling (a pair whose primary is still in COLO is listened to 3 s)
    const r = await colo(['status', '-f', spec, '--json', '--sample', '0s']);
    const wall = Math.round(r.ms);
    const bound = startup + DEFAULT_HEALTH_DEADLINE_MS + HOST_DEADLINE_MS + STATUS_MARGIN_MS;
    const line = `colo status --json with ${lost} cut off: ${wall} ms (bound ${bound} ms; Node start-up ${startup} ms)`;
    t.diagnostic(line);
    figures.push(line);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const vm = (JSON.parse(r.stdout) as StatusDoc).vms[0]!;
    const sides = [vm.primary, vm.secondary];
    const cut = sides.find((s) => s.host === lost)!;
    const alive = sides.find((s) => s.host === survivor)!;
    assert.deepEqual([cut.reachable, cut.running], [false, false], `${lost} unreachable: ${vm.summary}`);
    assert.deepEqual([alive.reachable, alive.running], [true, true], `${survivor} runs the VM: ${vm.summary}`);
    assert.equal(vm.primary.host, survivor, 'the survivor is the primary');
    assert.ok(wall <= bound, line);
  }

  /** The one stream connection went on (no reset, hole or repeat, the same boot) and HTTP answers. */
  async function serviceKeptUp(t: TestContext, what: string, since: number): Promise<void> {
    await client.moreLines(30, 60_000);
    assert.deepEqual(client.problems(), [], `${what}: the stream`);
    assert.equal(client.lines.at(-1)!.boot, boot, `${what}: the same boot id`);
    assert.equal((await client.httpAnswerAfter(epochMs(), 30_000)).boot, boot, `${what}: HTTP, the same guest`);
    const s = longestSilence(client.lines, since);
    const n = client.lines.length;
    const line = `${what}: longest stream silence ${Math.round(s.ms)} ms (${n} lines, one connection)`;
    t.diagnostic(line);
    figures.push(line);
  }

  test("the primary's host cut off: failover --to secondary fences it, yanks beta free, promotes", async (t) => {
    await client.moreLines(5, 10_000);
    const startup = await startupMs();
    const since = epochMs();
    await isolate('alpha');
    await failoverNow(t, 'secondary', 'alpha', 'beta', startup);
    await statusNames(t, 'alpha', 'beta');
    await serviceKeptUp(t, 'primary cut off + failover to secondary', since);
  });

  test("re-protected onto alpha; the secondary's host cut off: failover --to primary keeps beta", async (t) => {
    const rev = await colo(['lab', 'revive-host', 'alpha', '--dir', dir]);
    assert.equal(rev.code, 0, rev.stdout + rev.stderr);
    const apply = await colo(['apply', '-f', spec, '--auto-approve']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const st = await colo(['status', '-f', spec]);
    assert.match(st.stdout, /web: PROTECTED - in COLO: beta primary, alpha secondary/, st.stdout);
    await client.moreLines(5, 10_000);
    const startup = await startupMs();
    const since = epochMs();
    await isolate('alpha');
    await failoverNow(t, 'primary', 'alpha', 'beta', startup);
    await statusNames(t, 'alpha', 'beta');
    await serviceKeptUp(t, 'secondary cut off + failover to primary', since);
  });
});
