/**
 * A hung peer never hangs colo (real QEMU, real sshd, the tiny guest): a QEMU frozen by SIGSTOP
 * runs but cannot answer. `colo status` names the hung side within 1 s plus the health deadline;
 * `colo failover` kills the hung side at once (no SIGTERM grace), frees the survivor from it with
 * an out-of-band yank and promotes it within about 2 s; the guest serves again. Then the same with
 * the hung side's host cut off as well (its sshd frozen: a TCP connect that never gets an SSH
 * banner, as on a dead link) and its QEMU left frozen with its connections open: the survivor must
 * be yanked free of a peer that neither answers nor closes. Times are asserted with a margin for a
 * loaded 2-CPU machine; the real figures are printed as test diagnostics.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { colo, eventually, httpGet, parseGuestAnswer, startLab, type TestLab } from '../helpers/lab.ts';
import { sshdChildren } from '../helpers/ssh-cut.ts';

const ADDR = { alpha: '127.0.0.11', beta: '127.0.0.12' } as const;
type Host = keyof typeof ADDR;
/** The defaults: --health-deadline 500ms; the SSH part of a host to fence gets 1.5 s more. */
const DEADLINE_MS = 500;
/** What a loaded 2-CPU machine may add (Node start-up, SSH handshakes, TCG QEMUs beside). */
const MARGIN_MS = 2500;

interface SideDoc {
  host: string;
  reachable: boolean;
  running: boolean;
  hung: boolean;
  stopped: boolean;
}
interface StatusDoc {
  vms: { health: string; summary: string; primary: SideDoc; secondary: SideDoc }[];
}

describe('a hung peer', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let port: number;
  let boot: string;
  const frozen = new Set<number>();
  const freeze = (pid: number) => {
    process.kill(pid, 'SIGSTOP');
    frozen.add(pid);
  };
  const thaw = (pid: number) => {
    frozen.delete(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  };
  before(async () => {
    lab = await startLab();
    port = lab.vms[0]!.servicePort;
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    boot = parseGuestAnswer(await eventually('guest answers', () => httpGet(ADDR.alpha, port), 60_000)).boot;
  });
  after(async () => {
    for (const pid of [...frozen]) thaw(pid);
    await lab?.down();
  });

  /** The guest answers through `host` with the same boot id, and its counter advances there. */
  async function serves(host: Host): Promise<void> {
    const first = parseGuestAnswer(await eventually(`guest on ${host}`, () => httpGet(ADDR[host], port, 3000), 30_000));
    assert.equal(first.boot, boot, 'the same guest');
    await eventually(
      `the counter to advance on ${host}`,
      async () => assert.ok(parseGuestAnswer(await httpGet(ADDR[host], port, 3000)).counter > first.counter),
      30_000,
    );
  }

  async function status(t: TestContext, what: string): Promise<StatusDoc['vms'][number]> {
    const r = await colo(['status', '-f', lab.spec, '--json']);
    t.diagnostic(`colo status with ${what}: ${Math.round(r.ms)} ms`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.ms < 1000 + DEADLINE_MS + MARGIN_MS, `colo status took ${Math.round(r.ms)} ms`);
    return (JSON.parse(r.stdout) as StatusDoc).vms[0]!;
  }

  async function failover(t: TestContext, args: string[], budgetMs: number) {
    const r = await colo(['failover', '-f', lab.spec, ...args]);
    t.diagnostic(`colo failover ${args.join(' ')}: ${Math.round(r.ms)} ms; ${r.stdout.trim()}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.ms < budgetMs + MARGIN_MS, `colo failover took ${Math.round(r.ms)} ms`);
    return r;
  }

  async function reprotect(): Promise<void> {
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }

  test('secondary frozen: status names it hung; failover --to primary kills it and the primary serves', async (t) => {
    const pid = (await lab.pid('beta'))!;
    freeze(pid);
    const vm = await status(t, 'the secondary frozen');
    assert.deepEqual(
      [vm.health, vm.secondary.host, vm.secondary.hung, vm.secondary.stopped],
      ['degraded', 'beta', true, true],
    );
    assert.equal(vm.primary.hung, false);
    assert.match(vm.summary, /secondary QEMU on beta is hung .*no QMP answer within 500 ms; its process is stopped/);
    const r = await failover(t, ['--to', 'primary'], 2000);
    assert.match(r.stdout, /web now runs alone on alpha \(beta fenced: stopped-over-ssh\).* beta was hung/);
    frozen.delete(pid);
    assert.equal(await lab.pid('beta'), null, 'the frozen secondary was killed');
    await serves('alpha');
    await reprotect();
  });

  test('primary frozen: status says down and hung; failover --to secondary promotes it within ~2 s', async (t) => {
    const pid = (await lab.pid('alpha'))!;
    freeze(pid);
    const vm = await status(t, 'the primary frozen');
    assert.deepEqual([vm.health, vm.primary.host, vm.primary.hung, vm.primary.stopped], ['down', 'alpha', true, true]);
    assert.match(vm.summary, /primary QEMU on alpha is hung .*colo failover web --to secondary promotes beta/);
    const r = await failover(t, ['--to', 'secondary'], 2000);
    assert.match(r.stdout, /web now runs alone on beta \(alpha fenced: stopped-over-ssh\).* alpha was hung/);
    frozen.delete(pid);
    assert.equal(await lab.pid('alpha'), null, 'the frozen primary was killed');
    await serves('beta');
    await reprotect();
  });

  test('secondary frozen and its host cut off: the survivor is yanked free of the silent peer', async (t) => {
    // beta is the primary now, alpha the secondary. alpha's QEMU freezes with its connections open
    // (nothing resets them, as on a dead link), and alpha's sshd too: colo's TCP connect gets no banner.
    const qemu = (await lab.pid('alpha'))!;
    const host = lab.hosts.find((h) => h.name === 'alpha')!;
    const sshd = Number(readFileSync(host.pidFile, 'utf8').trim());
    freeze(qemu);
    freeze(sshd);
    for (const c of sshdChildren(host.pidFile)) freeze(c);
    const vm = await status(t, 'the secondary frozen and its host cut off');
    assert.equal(vm.secondary.reachable, false);
    // unreachable: fenced by the operator's word; nothing kills the frozen QEMU
    const r = await failover(t, ['--to', 'primary', '--i-have-fenced', 'alpha'], 2000 + 1500);
    assert.match(r.stdout, /web now runs alone on beta \(alpha fenced: operator\)/);
    assert.match(r.stdout, /Yanked on beta: .*migration/);
    assert.equal(await lab.pid('alpha'), qemu, 'the frozen secondary still exists, its sockets open');
    await serves('beta');
    // the test's own cleanup: the frozen QEMU killed, the host back
    process.kill(qemu, 'SIGKILL');
    frozen.delete(qemu);
    for (const pid of [...frozen]) thaw(pid);
  });
});
