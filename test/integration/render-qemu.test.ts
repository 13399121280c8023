/**
 * The rendered command lines and QMP recipes against the REAL installed qemu-system-x86_64
 * (Debian's 7.2, TCG): both QEMUs of the loopback lab start (primary paused with an extra -S,
 * secondary with -incoming), answer query-status, and the executor (src/engine/run-recipe.ts) runs
 * the recipes apply and failover run, short of `migrate` and `x-colo-lost-heartbeat` (stock 7.2
 * deadlocks COLO under TCG; lost-heartbeat needs a running COLO; the teardown's guard skips it by
 * itself) and of the waits that need a booted guest or COLO. Temp work dirs, free ports, loopback
 * addresses 127.0.0.11 / 127.0.0.12.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { QmpClient } from '../../src/qmp/client.ts';
import { runQmpRecipe } from '../../src/engine/run-recipe.ts';
import {
  dialectForVersion,
  diskIds,
  initialPlacement,
  nicIds,
  placementAfterFailoverToSecondary,
  renderCheckpointUpdateRecipe,
  renderColoStart,
  renderFailoverToPrimary,
  renderFailoverToSecondary,
  renderImagePrep,
  renderPrimaryArgv,
  renderProxyChardevAdds,
  renderProxyObjectAdds,
  renderSecondaryArgv,
  renderSecondaryPrepareRecipe,
  renderSwitchover,
  renderWorkDirPrep,
  steps,
  vmPaths,
  type QmpOp,
  type QmpRecipe,
  type SendOp,
} from '../../src/render/index.ts';
import type { Spec, VmSpec } from '../../src/spec/types.ts';
import { loopbackLabSpec } from '../unit/render/spec-fixtures.ts';

const run = promisify(execFile);

const QEMU = process.env['COLO_TEST_QEMU'] ?? '/usr/bin/qemu-system-x86_64';
const QEMU_IMG = process.env['COLO_TEST_QEMU_IMG'] ?? '/usr/bin/qemu-img';
const PRIMARY_ADDR = '127.0.0.11';
const SECONDARY_ADDR = '127.0.0.12';

function requireBinary(p: string, pkg: string): void {
  if (!existsSync(p))
    throw new Error(`${p} is missing: install the Debian package ${pkg} (apt-get install ${pkg}); .ci/run does`);
}

/** A kernel QEMU accepts for -kernel (it parses the bzImage header even when paused). */
function findKernel(): string {
  const k = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort()
    .pop();
  if (!k)
    throw new Error(
      'no /boot/vmlinuz-* found: install linux-image-cloud-amd64 (QEMU refuses a dummy -kernel: "invalid kernel ' +
        'header")',
    );
  return path.join('/boot', k);
}

async function freePort(addr: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, addr, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function portFreeOn(addr: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, addr, () => srv.close(() => resolve(true)));
  });
}

/**
 * `n` distinct ports free on both loopback addresses (the lab's ports may be bound on either host after a role swap).
 */
async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort(PRIMARY_ADDR);
    if (!out.includes(p) && (await portFreeOn(SECONDARY_ADDR, p))) out.push(p);
  }
  return out;
}

/** Run an argv to completion; resolves its stderr (QEMU prints warnings there before daemonizing). */
async function runArgv(argv: string[]): Promise<string> {
  const [bin, ...args] = argv;
  if (bin === undefined) throw new Error('empty argv');
  try {
    return (await run(bin, args, { timeout: 30_000 })).stderr;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    // With -daemonize and -D, QEMU's start-up errors go to the -D log, not to stderr.
    const d = argv.indexOf('-D');
    const logged = d > 0 ? await readFile(argv[d + 1] as string, 'utf8').catch(() => '') : '';
    throw new Error(`${argv.join(' ')} failed: ${logged.trim() || e.stderr?.trim() || e.message}`);
  }
}

async function connectQmp(sock: string, label: string): Promise<QmpClient> {
  const stream = net.createConnection(sock);
  await new Promise<void>((resolve, reject) => {
    stream.once('connect', resolve);
    stream.once('error', reject);
  });
  return QmpClient.connect(stream, { label, timeoutMs: 10_000, callTimeoutMs: 20_000 });
}

/** The recipe with only the operations `keep` selects (top level and inside its rescue block). */
function only(r: QmpRecipe, keep: (op: QmpOp) => boolean): QmpRecipe {
  const ops = r.ops.flatMap((op) => (op.op === 'rescue' ? op.ops : [op])).filter(keep);
  return { ...r, ops };
}

const isPhase =
  (...names: string[]) =>
  (op: QmpOp) =>
    op.op === 'send' && names.includes(op.phase ?? '');

async function killPidFile(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The lab spec with temp work dirs, a temp disk image, a kernel QEMU accepts, and fresh free ports. */
async function labSpecForThisMachine(tmp: string): Promise<{ spec: Spec; vm: VmSpec }> {
  const spec = await loopbackLabSpec();
  const vm = spec.vms.find((v) => {
    const p = spec.hosts[v.primary];
    const s = spec.hosts[v.secondary];
    return p?.replicationAddress === PRIMARY_ADDR && s?.replicationAddress === SECONDARY_ADDR;
  });
  if (!vm)
    throw new Error(
      `the loopback lab spec has no VM with primary on ${PRIMARY_ADDR} and secondary on ${SECONDARY_ADDR}`,
    );
  for (const [name, h] of Object.entries(spec.hosts)) {
    h.workDir = path.join(tmp, `host-${name}`);
    h.qemu = { ...h.qemu, binary: QEMU, img: QEMU_IMG, firmware: h.qemu.firmware.filter((d) => existsSync(d)) };
  }
  const imagesDir = path.join(tmp, 'images');
  await run('mkdir', ['-p', imagesDir]);
  for (const d of vm.disks) {
    d.image = path.join(imagesDir, `${d.id}.${d.format}`);
    await runArgv([QEMU_IMG, 'create', '-q', '-f', d.format, d.image, '32M']);
    delete d.sizeBytes; // read back with qemu-img info, as apply does
  }
  if (
    vm.boot.kind === 'kernel' &&
    !(existsSync(vm.boot.kernel) && (vm.boot.initrd === undefined || existsSync(vm.boot.initrd)))
  ) {
    // The lab guest (scripts/build-guest.sh) is not built: any bzImage will do for a paused QEMU,
    // and -initrd accepts any file (it is only loaded).
    const initrd = path.join(imagesDir, 'initrd.img');
    await writeFile(initrd, 'not really an initramfs; QEMU only loads it\n');
    vm.boot = { ...vm.boot, kernel: findKernel(), initrd };
  }
  for (const n of vm.netdevs) {
    if (n.backend.kind !== 'user')
      throw new Error(`netdev ${n.id}: this test runs only user (slirp) netdevs, got ${n.backend.kind}`);
  }
  const forwards = vm.netdevs.reduce((k, n) => k + (n.backend.kind === 'user' ? n.backend.hostForwards.length : 0), 0);
  const ports = await freePorts(2 + 2 * vm.netdevs.length + forwards);
  let i = 0;
  const next = () => ports[i++] as number;
  vm.ports = {
    migration: next(),
    nbd: next(),
    nics: vm.netdevs.map((n) => ({ netdevId: n.id, mirror: next(), compare: next() })),
  };
  for (const n of vm.netdevs) {
    if (n.backend.kind === 'user') {
      // Each QEMU binds the forward on its own host's replication address (127.0.0.11 / .12).
      n.backend.hostForwards = n.backend.hostForwards.map(({ hostAddress: _drop, ...f }) => ({
        ...f,
        hostPort: next(),
      }));
    }
  }
  return { spec, vm };
}

describe('rendered argv and QMP against the installed QEMU', { timeout: 120_000 }, () => {
  const state: {
    tmp?: string;
    spec?: Spec;
    vm?: VmSpec;
    primary?: QmpClient;
    secondary?: QmpClient;
    pidFiles: string[];
  } = { pidFiles: [] };

  before(async () => {
    requireBinary(QEMU, 'qemu-system-x86');
    requireBinary(QEMU_IMG, 'qemu-utils');
    state.tmp = await mkdtemp(path.join(os.tmpdir(), 'colo-render-qemu-'));
    const { spec, vm } = await labSpecForThisMachine(state.tmp);
    state.spec = spec;
    state.vm = vm;
  });

  after(async () => {
    await state.primary?.close().catch(() => undefined);
    await state.secondary?.close().catch(() => undefined);
    for (const f of state.pidFiles) await killPidFile(f);
    if (state.tmp) await rm(state.tmp, { recursive: true, force: true });
  });

  function ctx(): { spec: Spec; vm: VmSpec } {
    assert.ok(state.spec && state.vm, 'setup failed');
    return { spec: state.spec, vm: state.vm };
  }

  function qemus(): { primary: QmpClient; secondary: QmpClient } {
    const { primary, secondary } = state;
    assert.ok(primary && secondary, 'QEMUs not started');
    return { primary, secondary };
  }

  const dialect = dialectForVersion({ major: 7, minor: 2, micro: 0 });

  test('primary (paused) and secondary (-incoming) start and answer query-status', async () => {
    const { spec, vm } = ctx();
    const placement = initialPlacement(vm);
    const { stdout } = await run(QEMU, ['--version']);
    assert.match(
      stdout,
      /QEMU emulator version 7\.2\./,
      `this test pins the 7.2 dialect; installed: ${stdout.split('\n')[0]}`,
    );

    // Work dirs and the secondary's images, with the size read like apply does.
    for (const cmd of renderWorkDirPrep(spec, vm, placement.primary)) await runArgv(cmd);
    const sizes: Record<string, number> = {};
    for (const d of vm.disks) {
      const { stdout: info } = await run(QEMU_IMG, ['info', '--output=json', d.image]);
      sizes[d.id] = (JSON.parse(info) as { 'virtual-size': number })['virtual-size'];
    }
    for (const cmd of renderImagePrep(spec, vm, placement.secondary, sizes)) await runArgv(cmd);
    const sp = vmPaths(spec, vm, placement.secondary);
    for (const d of sp.disks) {
      for (const f of [d.base, d.active, d.hidden]) {
        const { stdout: info } = await run(QEMU_IMG, ['info', '--output=json', f]);
        const parsed = JSON.parse(info) as { 'virtual-size': number; format: string };
        assert.equal(parsed.format, 'qcow2');
        assert.equal(parsed['virtual-size'], sizes[d.diskId]);
      }
    }

    const pp = vmPaths(spec, vm, placement.primary);
    state.pidFiles.push(pp.pidFile, sp.pidFile);
    const primaryArgv = [...renderPrimaryArgv(spec, vm, placement, { dialect, kvmAvailable: false }), '-S'];
    assert.ok(primaryArgv.includes('-daemonize') && !primaryArgv.slice(0, -1).includes('-S'));
    // -daemonize: returns once the daemon is up. No warnings either (deprecated options would show here).
    assert.equal((await runArgv(primaryArgv)).trim(), '', 'primary QEMU printed warnings');
    const secondaryArgv = renderSecondaryArgv(spec, vm, placement, { dialect, kvmAvailable: false });
    assert.equal((await runArgv(secondaryArgv)).trim(), '', 'secondary QEMU printed warnings');

    state.primary = await connectQmp(pp.qmpSocket, 'primary');
    state.secondary = await connectQmp(sp.qmpSocket, 'secondary');
    assert.equal(state.primary.version.major, 7);
    const ps = await state.primary.execute<{ status: string; running: boolean }>('query-status');
    const ss = await state.secondary.execute<{ status: string; running: boolean }>('query-status');
    assert.deepEqual([ps.status, ps.running], ['prelaunch', false]);
    assert.deepEqual([ss.status, ss.running], ['inmigrate', false]);
    // Files the engine relies on exist where vmPaths says.
    for (const p of [pp, sp]) {
      assert.ok(existsSync(p.pidFile), p.pidFile);
      assert.ok(existsSync(p.consoleLog), p.consoleLog);
      // A daemonized QEMU writes its warnings (deprecated options...) to the -D log.
      assert.equal((await readFile(p.qemuLog, 'utf8')).trim(), '', `${p.qemuLog} has warnings`);
    }
    for (const n of pp.nics) {
      assert.ok(existsSync(n.primaryInSocket), n.primaryInSocket);
      assert.ok(existsSync(n.compareOutSocket), n.compareOutSocket);
    }
  });

  test("the secondary's red0/red1 connect to the primary's proxy servers", async () => {
    const { vm } = ctx();
    const { primary } = qemus();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const chardevs = await primary.execute<{ label: string; filename: string }[]>('query-chardev');
      const pending = vm.netdevs.flatMap((n) => {
        const ids = nicIds(n);
        return [ids.mirror, ids.compareIn].filter((label) => {
          const c = chardevs.find((x) => x.label === label);
          return !c || !c.filename.includes('<->');
        });
      });
      if (pending.length === 0) break;
      if (Date.now() > deadline)
        assert.fail(`not connected after 15 s: ${pending.join(', ')}: ${JSON.stringify(chardevs)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test('secondary prepare, mirror start and switchover (up to migrate) are accepted', async () => {
    const { spec, vm } = ctx();
    const { primary, secondary } = qemus();
    const placement = initialPlacement(vm);
    await runQmpRecipe(renderSecondaryPrepareRecipe(spec, vm, placement, dialect), { secondary });
    // The colo-start recipe: the proxy chardev check (the guarded chardev-adds then stay out), the
    // mirror (waits READY), the switchover phases; not `migrate` (its phase holds nothing else), not the
    // wait for the paused guest's drivers.
    const start = renderColoStart(spec, vm, placement).start;
    const migrate = start.ops.flatMap((op) => (op.op === 'rescue' ? op.ops : [])).find(isPhase('switchover-migrate'));
    assert.deepEqual(
      (migrate as SendOp).steps.map((s) => s.command.execute),
      ['migrate'],
    );
    const run = await runQmpRecipe(
      only(start, (op) => op === start.ops[0] || isPhase('mirror-start', 'switchover-prepare', 'switchover-wire')(op)),
      { primary, secondary },
    );
    assert.equal(start.ops[0]?.op, 'check', 'the recipe starts with the proxy chardev check');
    assert.ok(Array.isArray(run.facts['chardevs']), 'the chardevs were read');
    assert.ok((run.timings['mirror-start'] ?? -1) >= 0);

    const caps = await primary.execute<{ capability: string; state: boolean }[]>('query-migrate-capabilities');
    assert.equal(caps.find((c) => c.capability === 'x-colo')?.state, true);
    const params = await primary.execute<Record<string, unknown>>('query-migrate-parameters');
    assert.equal(params['x-checkpoint-delay'], vm.checkpoint.intervalMs);
    assert.equal(params['max-bandwidth'], vm.checkpoint.maxBandwidthBytes);
    // Every quorum now has the replication child.
    const nodes = await primary.execute<{ 'node-name': string; drv: string }[]>('query-named-block-nodes');
    for (const d of vm.disks) {
      const ids = diskIds(d);
      assert.ok(
        nodes.some((n) => n['node-name'] === ids.replication && n.drv === 'replication'),
        `${ids.replication} missing`,
      );
    }
    // The proxy objects exist.
    for (const n of vm.netdevs) {
      const ids = nicIds(n);
      const t = await primary.execute<string>('qom-get', { path: `/objects/${ids.compare}`, property: 'type' });
      assert.equal(t, 'colo-compare');
      const timeout = await primary.execute<number>('qom-get', {
        path: `/objects/${ids.compare}`,
        property: 'compare_timeout',
      });
      assert.equal(timeout, vm.checkpoint.compareTimeoutMs);
    }
  });

  test('checkpoint update is accepted in place', async () => {
    const { vm } = ctx();
    const { primary } = qemus();
    const changed: VmSpec = {
      ...vm,
      checkpoint: {
        ...vm.checkpoint,
        intervalMs: vm.checkpoint.intervalMs + 500,
        compareTimeoutMs: 1234,
        maxQueueSize: 2048,
      },
    };
    // The recipe the checkpoint-update step runs: every setting, then the read-back check.
    await runQmpRecipe(renderCheckpointUpdateRecipe(changed, initialPlacement(vm).primary), { primary });
    const params = await primary.execute<Record<string, unknown>>('query-migrate-parameters');
    assert.equal(params['x-checkpoint-delay'], vm.checkpoint.intervalMs + 500);
    for (const n of vm.netdevs) {
      const path_ = `/objects/${nicIds(n).compare}`;
      assert.equal(await primary.execute('qom-get', { path: path_, property: 'compare_timeout' }), 1234);
      assert.equal(await primary.execute('qom-get', { path: path_, property: 'max_queue_size' }), 2048);
    }
  });

  test('the resync finish cancels the mirrors and deletes their NBD nodes', async () => {
    const { vm } = ctx();
    const { primary } = qemus();
    const start = renderColoStart(ctx().spec, vm, initialPlacement(vm)).start;
    await runQmpRecipe(only(start, isPhase('resync-cancel', 'resync-cleanup')), { primary });
    assert.deepEqual(await primary.execute('query-block-jobs'), []);
    const nodes = await primary.execute<{ 'node-name': string }[]>('query-named-block-nodes');
    for (const d of vm.disks)
      assert.ok(!nodes.some((n) => n['node-name'] === diskIds(d).mirrorTarget), `${diskIds(d).mirrorTarget} left`);
  });

  test('the teardown failover --to primary runs removes what the switchover added', async () => {
    const { spec, vm } = ctx();
    const { primary } = qemus();
    // Not in COLO: its guard keeps x-colo-lost-heartbeat out; the paused guest is not resumed either.
    const r = await runQmpRecipe(renderFailoverToPrimary(spec, vm, initialPlacement(vm)).promote, { primary });
    assert.equal(r.succeeded['leave COLO'], undefined, 'x-colo-lost-heartbeat was not sent');
    for (const d of vm.disks) assert.ok(r.removed.includes(diskIds(d).replication), r.removed.join(', '));
    for (const n of vm.netdevs) assert.ok(r.removed.includes(`${nicIds(n).mirror} (re-created)`), r.removed.join(', '));
    const nodes = await primary.execute<{ 'node-name': string }[]>('query-named-block-nodes');
    for (const d of vm.disks) {
      const ids = diskIds(d);
      assert.ok(
        !nodes.some((n) => n['node-name'] === ids.replication || n['node-name'] === ids.nbd),
        `${ids.diskId} nodes left`,
      );
    }
    const objects = await primary.execute<{ name: string }[]>('qom-list', { path: '/objects' });
    for (const n of vm.netdevs) {
      const ids = nicIds(n);
      for (const id of [ids.compare, ids.iothread, ids.filterMirror, ids.redirectorIn, ids.redirectorOut]) {
        assert.ok(!objects.some((o) => o.name === id), `${id} left`);
      }
    }
  });

  test('secondary failover (minus x-colo-lost-heartbeat), then the promoted-primary proxy, are accepted', async () => {
    const { spec, vm } = ctx();
    const { secondary } = qemus();
    const promote = renderFailoverToSecondary(spec, vm, initialPlacement(vm)).promote;
    const send = promote.ops[0] as SendOp;
    const withoutHeartbeat = {
      ...send,
      steps: send.steps.filter((s) => s.command.execute !== 'x-colo-lost-heartbeat'),
    };
    await runQmpRecipe({ ...promote, ops: [withoutHeartbeat] }, { secondary });
    const chardevs = await secondary.execute<{ label: string }[]>('query-chardev');
    for (const n of vm.netdevs) {
      const ids = nicIds(n);
      assert.ok(!chardevs.some((c) => c.label === ids.secMirror || c.label === ids.secCompare), 'red0/red1 left');
    }
    // Re-protect from the promoted secondary: chardev-add the proxy sockets, filters before rew.
    const promoted = placementAfterFailoverToSecondary(initialPlacement(vm));
    const proxySteps = steps([...renderProxyChardevAdds(spec, vm, promoted), ...renderProxyObjectAdds(vm, promoted)]);
    await runQmpRecipe(
      { ...promote, ops: [{ op: 'send', phase: 'promoted-proxy', steps: proxySteps }] },
      { secondary },
    );
    for (const n of vm.netdevs) {
      const ids = nicIds(n);
      const t = await secondary.execute<string>('qom-get', { path: `/objects/${ids.filterMirror}`, property: 'type' });
      assert.equal(t, 'filter-mirror');
      const pos = await secondary.execute<string>('qom-get', {
        path: `/objects/${ids.filterMirror}`,
        property: 'position',
      });
      assert.equal(pos, `id=${ids.rewriter}`);
    }
    const after = await secondary.execute<{ label: string }[]>('query-chardev');
    for (const n of vm.netdevs) {
      const ids = nicIds(n);
      for (const id of [
        ids.mirror,
        ids.compareIn,
        ids.primaryIn,
        ids.primaryInClient,
        ids.compareOut,
        ids.compareOutClient,
      ]) {
        assert.ok(
          after.some((c) => c.label === id),
          `${id} not added`,
        );
      }
    }
    // The promoted switchover renders the same chardev-adds.
    const sw = renderSwitchover(spec, vm, promoted);
    const proxy = sw.find((p) => p.name === 'switchover-wire');
    assert.equal(proxy?.commands.filter((c) => c.execute === 'chardev-add').length, 6 * vm.netdevs.length);
  });
});
