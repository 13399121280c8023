/**
 * The pure parts of observation (src/engine/observe.ts runs them): the host script of
 * src/render/recipes/observe.ts (run for real with sh against a temp work dir), its parser and the
 * reading of the QMP replies (src/plan/observe-replies.ts), the QMP batch. The QMP replies below
 * were captured from Debian's QEMU 7.2.22.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HOST_OBSERVE_SCRIPT, qmpObserveBatch, type ObserveBatch } from '../../../src/render/recipes/observe.ts';
import {
  parseHostReport as parseReport,
  qemuFromFacts,
  quorumChildrenFromGraph,
  vmsOnHost,
} from '../../../src/plan/observe-replies.ts';
import { probeBinaryVersion } from '../../../src/qmp/probe.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
import type { VmSpec } from '../../../src/spec/types.ts';
import { state, vmOf, vmState, webSpec } from '../plan/plan-fixtures.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The host report read with the version reader observation uses. */
const parseHostReport = (host: string, stdout: string) => parseReport(host, stdout, probeBinaryVersion);

/** The replies of the batch, in its order, as the facts of the observe recipe (a failed query: absent). */
function qemuFromReplies(
  base: ObservedQemu,
  vm: VmSpec,
  batch: ObserveBatch,
  replies: ({ ok: true; value: unknown } | { ok: false; error: Error })[],
): ObservedQemu {
  const facts: Record<string, unknown> = {};
  batch.queries.forEach((q, i) => {
    const r = replies[i];
    if (r?.ok) facts[q.as] = r.value;
  });
  return qemuFromFacts(base, vm, batch, facts);
}

/**
 * x-debug-query-block-graph of `-drive if=none,id=colo-disk0,driver=quorum,...` after blockdev-add replication-disk0 +
 * x-blockdev-change (QEMU 7.2.22).
 */
const REAL_GRAPH = {
  edges: [
    {
      name: 'file',
      parent: 4,
      'shared-perm': ['write-unchanged', 'consistent-read'],
      perm: ['resize', 'write', 'consistent-read'],
      child: 5,
    },
    {
      name: 'children.0',
      parent: 2,
      'shared-perm': ['write-unchanged', 'consistent-read'],
      perm: ['consistent-read'],
      child: 4,
    },
    {
      name: 'children.1',
      parent: 2,
      'shared-perm': ['write-unchanged', 'consistent-read'],
      perm: ['consistent-read'],
      child: 3,
    },
    {
      name: 'root',
      parent: 1,
      'shared-perm': ['resize', 'write-unchanged', 'write', 'consistent-read'],
      perm: ['consistent-read'],
      child: 2,
    },
  ],
  nodes: [
    { name: 'replication-disk0', type: 'block-driver', id: 3 },
    { name: '#block229', type: 'block-driver', id: 4 },
    { name: '#block155', type: 'block-driver', id: 5 },
    { name: '#block064', type: 'block-driver', id: 2 },
    { name: 'colo-disk0', type: 'block-backend', id: 1 },
  ],
};

describe('parseHostReport', () => {
  test('a full report: version, work dir, kvm, VMs with argv and crash lines', () => {
    const argv = [
      '/usr/bin/qemu-system-x86_64',
      '-name',
      'web',
      '-append',
      'console=ttyS0 quiet',
      '-pidfile',
      '/var/lib/colo/web/qemu.pid',
      '',
    ];
    const cmdline = `${argv.join('\u0000')}\u0000`;
    const crash = '[   12.1] Oops: 0000 [#1] SMP\n[   12.2] Kernel panic - not syncing: Fatal exception\n';
    const out = [
      `qemu ok ${b64('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)')}`,
      'workdir 1',
      'kvm 1',
      `vm web 4242 1 ${b64(cmdline)} ${b64(crash)}`,
      'vm api 999 0 - -',
      'vm db - 0 - -',
      '',
    ].join('\n');
    const r = parseHostReport('alpha', out);
    assert.deepEqual(r.host, {
      name: 'alpha',
      reachable: true,
      workDirExists: true,
      kvm: true,
      qemuVersion: {
        major: 7,
        minor: 2,
        micro: 22,
        text: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)',
      },
    });
    assert.deepEqual(r.vms, {
      // an empty argument inside argv is kept; only the trailing NUL's empty field is dropped
      web: {
        pid: 4242,
        alive: true,
        argv,
        crash: ['[   12.1] Oops: 0000 [#1] SMP', '[   12.2] Kernel panic - not syncing: Fatal exception'],
      },
      api: { pid: 999, alive: false, crash: [] },
      db: { alive: false, crash: [] },
    });
  });

  test('the work directory: private to the SSH user, or why not', () => {
    const wd = (line: string) => parseHostReport('a', `${line}\n`).host;
    assert.equal(wd('workdir 1 0 700 0').workDirUnsafe, undefined);
    assert.equal(wd('workdir 1 0 755 0').workDirUnsafe, 'mode 0755');
    assert.equal(wd('workdir 1 1000 700 0').workDirUnsafe, 'owned by uid 1000, not the SSH user (uid 0)');
    assert.equal(
      wd('workdir 1 1000 2770 1001').workDirUnsafe,
      'owned by uid 1000, not the SSH user (uid 1001), mode 2770',
    );
    assert.equal(wd('workdir 1').workDirUnsafe, undefined, 'an older report says nothing about it');
    assert.equal(wd('workdir 0').workDirExists, false);
  });

  test('kvm 0, work dir missing', () => {
    const r = parseHostReport('beta', `qemu ok ${b64('QEMU emulator version 9.2.0')}\nworkdir 0\nkvm 0\n`);
    assert.equal(r.host.kvm, false);
    assert.equal(r.host.workDirExists, false);
    assert.deepEqual(r.host.qemuVersion, { major: 9, minor: 2, micro: 0, text: 'QEMU emulator version 9.2.0' });
    assert.deepEqual(r.vms, {});
  });

  test('QEMU binary missing or not QEMU', () => {
    assert.equal(
      parseHostReport('a', `qemu err ${b64('sh: 1: /opt/qemu: not found')}\nworkdir 1\nkvm 0\n`).host.qemuError,
      'sh: 1: /opt/qemu: not found',
    );
    assert.equal(parseHostReport('a', 'qemu err \nworkdir 1\n').host.qemuError, 'QEMU binary not found');
    const r = parseHostReport('a', `qemu ok ${b64('Python 3.11.2\n')}\nworkdir 1\n`);
    assert.equal(r.host.qemuError, 'unexpected --version output: Python 3.11.2');
    assert.equal(r.host.qemuVersion, undefined);
  });

  test('empty output: reachable, nothing known', () => {
    const r = parseHostReport('a', '');
    assert.deepEqual(r, { host: { name: 'a', reachable: true, workDirExists: false }, vms: {} });
  });
});

describe('HOST_OBSERVE_SCRIPT run by sh against a temp work dir', () => {
  let root: string;
  let wd: string;
  let qemu: string;
  const children: ChildProcess[] = [];
  let ours: ChildProcess;
  let zombieParent: ChildProcess | undefined;
  let zombiePid = 0;
  let deadPid = 0;

  const run = (bin: string, workDir: string, vms: string[]) => {
    const r = spawnSync('sh', ['-c', HOST_OBSERVE_SCRIPT, 'colo-observe', bin, workDir, '', ...vms], {
      encoding: 'utf8',
      cwd: root,
      timeout: 20_000,
    });
    assert.equal(r.status, 0, `script failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-observe-'));
    // shell metacharacters and spaces in every value: they must reach the script as data
    wd = path.join(root, "work dir $(touch pwned) `touch pwned2`;'");
    await mkdir(wd);
    qemu = path.join(root, 'fake qemu');
    await writeFile(
      qemu,
      '#!/bin/sh\necho "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"\necho "Copyright (c) ' +
        '2003-2022 Fabrice Bellard and the QEMU Project developers"\n',
      { mode: 0o755 },
    );

    // web: a live process whose argv names its pid file (as -pidfile does for QEMU)
    const webPid = path.join(wd, 'web', 'qemu.pid');
    await mkdir(path.dirname(webPid));
    ours = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)', webPid], { stdio: 'ignore' });
    children.push(ours);
    await writeFile(webPid, `${ours.pid}\n`);
    await writeFile(
      path.join(wd, 'web', 'console.log'),
      'COUNTER 1\n[   41.5] general protection fault, probably for non-canonical address ' +
        '0xdead00000000012a\nCOUNTER 2\n[   41.6] Kernel panic - not syncing: Fatal exception in interrupt\n',
    );

    // api: a pid file naming a process that exited (and was reaped)
    const done = spawn('true');
    await new Promise((r) => done.on('exit', r));
    deadPid = done.pid!;
    await mkdir(path.join(wd, 'api'));
    await writeFile(path.join(wd, 'api', 'qemu.pid'), `${deadPid}\n`);
    await writeFile(path.join(wd, 'api', 'console.log'), 'COUNTER 1\nCOUNTER 2\n');

    // stranger: a live process that is not ours (the pid was reused)
    await mkdir(path.join(wd, 'stranger'));
    await writeFile(path.join(wd, 'stranger', 'qemu.pid'), `${process.pid}`);

    // zombie: exited but not reaped by its parent; /proc/PID/cmdline is empty
    zombieParent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(zombieParent);
    zombiePid = Number(
      await new Promise<string>((r) => zombieParent!.stdout!.once('data', (d: Buffer) => r(d.toString()))),
    );
    for (let i = 0; i < 50; i++) {
      const st = await readFile(`/proc/${zombiePid}/status`, 'utf8').catch(() => '');
      if (/^State:\s*Z/m.test(st)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await mkdir(path.join(wd, 'zombie'));
    await writeFile(path.join(wd, 'zombie', 'qemu.pid'), `${zombiePid}\n`);

    // garbage: a pid file without digits
    await mkdir(path.join(wd, 'garbage'));
    await writeFile(path.join(wd, 'garbage', 'qemu.pid'), 'not a pid\n');
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  test('every VM reported; argv and crash lines survive the round trip', async () => {
    const { host, vms } = parseHostReport(
      'alpha',
      run(qemu, wd, ['web', 'api', 'stranger', 'zombie', 'garbage', 'missing']),
    );
    assert.equal(host.reachable, true);
    assert.equal(host.workDirExists, true);
    assert.equal(host.qemuError, undefined);
    assert.deepEqual(host.qemuVersion, {
      major: 7,
      minor: 2,
      micro: 22,
      text: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)',
    });
    const kvmUsable = await access('/dev/kvm', fsc.R_OK | fsc.W_OK).then(
      () => true,
      () => false,
    );
    assert.equal(host.kvm, kvmUsable);

    const webPid = path.join(wd, 'web', 'qemu.pid');
    assert.deepEqual(vms['web'], {
      pid: ours.pid,
      alive: true,
      argv: [process.execPath, '-e', 'setInterval(() => {}, 1e9)', webPid],
      crash: [
        '[   41.5] general protection fault, probably for non-canonical address 0xdead00000000012a',
        '[   41.6] Kernel panic - not syncing: Fatal exception in interrupt',
      ],
    });
    assert.deepEqual(vms['api'], { pid: deadPid, alive: false, crash: [] });
    // alive by pid, but its argv does not name the pid file: observeQemu must not take it for ours
    assert.equal(vms['stranger']?.alive, true);
    assert.equal(vms['stranger']?.pid, process.pid);
    assert.ok(!vms['stranger']?.argv?.includes(path.join(wd, 'stranger', 'qemu.pid')));
    assert.deepEqual(
      vms['zombie'],
      { pid: zombiePid, alive: false, crash: [] },
      'an exited, unreaped process is not alive',
    );
    assert.deepEqual(vms['garbage'], { alive: false, crash: [] });
    assert.deepEqual(vms['missing'], { alive: false, crash: [] });
    assert.deepEqual(Object.keys(vms).sort(), ['api', 'garbage', 'missing', 'stranger', 'web', 'zombie']);
  });

  test('values are never interpreted by the shell', async () => {
    run(qemu, wd, ['web']);
    const entries = await readdir(root);
    assert.ok(
      !entries.includes('pwned') && !entries.includes('pwned2'),
      `the script executed part of a value: ${entries.join(', ')}`,
    );
  });

  test('work dir missing, no VMs', () => {
    const { host, vms } = parseHostReport('alpha', run(qemu, path.join(root, 'nope'), []));
    assert.equal(host.workDirExists, false);
    assert.equal(host.qemuVersion?.major, 7);
    assert.deepEqual(vms, {});
  });

  test('QEMU binary missing', () => {
    const { host } = parseHostReport('alpha', run(path.join(root, 'no-such-qemu'), wd, []));
    assert.equal(host.qemuVersion, undefined);
    assert.match(host.qemuError ?? '', /not found/);
  });

  test('QEMU binary not executable', async () => {
    const noexec = path.join(root, 'qemu-noexec');
    await writeFile(noexec, '#!/bin/sh\necho "QEMU emulator version 7.2.22"\n');
    await chmod(noexec, 0o644);
    const { host } = parseHostReport('alpha', run(noexec, wd, []));
    assert.equal(host.qemuVersion, undefined);
    assert.match(host.qemuError ?? '', /Permission denied/);
  });

  test('a binary that is not QEMU', async () => {
    const other = path.join(root, 'not-qemu');
    await writeFile(other, '#!/bin/sh\necho "hello from a wrapper"\n', { mode: 0o755 });
    const { host } = parseHostReport('alpha', run(other, wd, []));
    assert.equal(host.qemuError, 'unexpected --version output: hello from a wrapper');
  });
});

describe('vmsOnHost', () => {
  test('spec VMs using the host plus VMs only the state knows, sorted', () => {
    const spec = webSpec({ withApi: true });
    const st = state({
      old: vmState({ primaryHost: 'alpha', secondaryHost: 'gamma' }),
      far: vmState({ primaryHost: 'gamma', secondaryHost: 'delta' }),
    });
    assert.deepEqual(vmsOnHost(spec, st, 'alpha'), ['api', 'old', 'web']);
    assert.deepEqual(vmsOnHost(spec, st, 'beta'), ['api', 'web']);
    assert.deepEqual(vmsOnHost(spec, null, 'gamma'), []);
    assert.deepEqual(vmsOnHost(spec, st, 'gamma'), ['far', 'old']);
  });
});

describe('qmpObserveBatch', () => {
  test('one batch: fixed queries, colo-compare properties per NIC, virtio status per virtio device', () => {
    const spec = webSpec({ withApi: true });
    const b = qmpObserveBatch(vmOf(spec, 'api'));
    assert.deepEqual(
      b.commands.map((c) => c.execute),
      [
        'query-status',
        'query-colo-status',
        'query-migrate',
        'query-migrate-parameters',
        'x-debug-query-block-graph',
        'qom-list',
        'query-chardev',
        'query-block-exports',
        'qom-get',
        'qom-get',
        'qom-get',
        'x-query-virtio-status',
        'x-query-virtio-status',
        'x-query-virtio-status',
      ],
    );
    assert.deepEqual(b.commands[5]!.arguments, { path: '/objects' });
    assert.deepEqual(b.compareKeys, [
      ['comp-lan', 'compare_timeout'],
      ['comp-lan', 'expired_scan_cycle'],
      ['comp-lan', 'max_queue_size'],
    ]);
    assert.deepEqual(b.commands[8]!.arguments, { path: '/objects/comp-lan', property: 'compare_timeout' });
    assert.deepEqual(b.virtioPaths, [
      '/machine/peripheral/nic-lan/virtio-backend',
      '/machine/peripheral/blk-root/virtio-backend',
      '/machine/peripheral/blk-data/virtio-backend',
    ]);
    assert.deepEqual(b.commands[13]!.arguments, { path: '/machine/peripheral/blk-data/virtio-backend' });
  });
});

describe('quorumChildrenFromGraph', () => {
  test('real QEMU 7.2 graph: the -drive quorum found through its block backend', () => {
    assert.deepEqual(quorumChildrenFromGraph(REAL_GRAPH, [{ drive: 'colo-disk0', node: 'quorum-disk0' }]), {
      'colo-disk0': ['#block229', 'replication-disk0'],
    });
  });

  test('a quorum that is itself a named block-driver node (blockdev-add)', () => {
    const g = {
      nodes: [
        { id: 1, type: 'block-driver', name: 'colo-data' },
        { id: 2, type: 'block-driver', name: 'base-data' },
        { id: 3, type: 'block-driver', name: 'replication-data' },
        { id: 4, type: 'block-driver', name: '#block011' },
      ],
      edges: [
        { parent: 1, child: 2, name: 'children.0' },
        { parent: 1, child: 3, name: 'children.1' },
        { parent: 2, child: 4, name: 'file' },
      ],
    };
    assert.deepEqual(quorumChildrenFromGraph(g, [{ drive: 'colo-data', node: 'quorum-data' }]), {
      'colo-data': ['base-data', 'replication-data'],
    });
  });

  test('a quorum not in the graph is absent; malformed replies give nothing', () => {
    assert.deepEqual(quorumChildrenFromGraph(REAL_GRAPH, [{ drive: 'colo-other', node: 'quorum-other' }]), {});
    assert.deepEqual(quorumChildrenFromGraph(undefined, [{ drive: 'colo-disk0', node: 'quorum-disk0' }]), {});
    assert.deepEqual(
      quorumChildrenFromGraph({ nodes: 'x', edges: null }, [{ drive: 'colo-disk0', node: 'quorum-disk0' }]),
      {},
    );
    assert.deepEqual(quorumChildrenFromGraph([], [{ drive: 'colo-disk0', node: 'quorum-disk0' }]), {});
  });

  test('a named quorum node under a mirror filter: found by its node name, not through the drive', () => {
    const g = {
      nodes: [
        { id: 1, type: 'block-backend', name: 'colo-disk0' },
        { id: 2, type: 'block-driver', name: '#block300' }, // mirror_top
        { id: 3, type: 'block-driver', name: 'quorum-disk0' },
        { id: 4, type: 'block-driver', name: '#block229' },
        { id: 5, type: 'block-driver', name: 'replication-disk0' },
      ],
      edges: [
        { parent: 1, child: 2, name: 'root' },
        { parent: 2, child: 3, name: 'backing' },
        { parent: 3, child: 4, name: 'children.0' },
        { parent: 3, child: 5, name: 'children.1' },
      ],
    };
    assert.deepEqual(quorumChildrenFromGraph(g, [{ drive: 'colo-disk0', node: 'quorum-disk0' }]), {
      'colo-disk0': ['#block229', 'replication-disk0'],
    });
  });

  test('the replication child removed (x-blockdev-change del): only children.0 remains', () => {
    const g = { nodes: REAL_GRAPH.nodes, edges: REAL_GRAPH.edges.filter((e) => e.name !== 'children.1') };
    assert.deepEqual(quorumChildrenFromGraph(g, [{ drive: 'colo-disk0', node: 'quorum-disk0' }]), {
      'colo-disk0': ['#block229'],
    });
  });
});

describe('qemuFromReplies', () => {
  const spec = webSpec();
  const vm = vmOf(spec);
  const batch = qmpObserveBatch(vm);
  const base: ObservedQemu = {
    host: 'alpha',
    alive: true,
    pid: 4242,
    argv: ['/usr/bin/qemu-system-x86_64'],
    startedAs: 'primary',
    consoleCrash: ['x'],
  };
  const ok = (value: unknown) => ({ ok: true as const, value });
  const err = (m: string) => ({ ok: false as const, error: new Error(m) });

  test('a primary in COLO, from real reply shapes', () => {
    const replies = [
      ok({ status: 'running', singlestep: false, running: true }),
      ok({ 'last-mode': 'none', mode: 'primary', reason: 'none' }),
      ok({ status: 'colo' }),
      ok({ 'max-bandwidth': 1073741824, 'x-checkpoint-delay': 2000, 'downtime-limit': 300 }),
      ok(REAL_GRAPH),
      ok([
        { name: 'type', type: 'string' },
        { name: 'iothread-net0', type: 'child<iothread>' },
        { name: 'm0-net0', type: 'child<filter-mirror>' },
        { name: 'comp-net0', type: 'child<colo-compare>' },
      ]),
      ok([{ 'frontend-open': false, filename: 'disconnected:tcp:127.0.0.11:9002,server=on', label: 'mirror0-net0' }]),
      ok([
        { 'node-name': '#block118', 'shutting-down': false, type: 'nbd', id: 'disk0' },
        { 'node-name': '#block786', 'shutting-down': true, type: 'nbd', id: 'disk1' },
      ]),
      ok(3000),
      ok(3000),
      ok(1024),
      ok({ name: 'virtio-net', 'device-id': 1, disabled: false, broken: false }),
      ok({ name: 'virtio-blk', 'device-id': 2, disabled: true, broken: false }),
    ];
    assert.equal(replies.length, batch.commands.length);
    const q = qemuFromReplies(base, vm, batch, replies);
    assert.deepEqual(q, {
      ...base,
      runStatus: 'running',
      coloMode: 'primary',
      coloReason: 'none',
      migrateStatus: 'colo',
      migrateParams: { 'max-bandwidth': 1073741824, 'x-checkpoint-delay': 2000, 'downtime-limit': 300 },
      quorumChildren: { 'colo-disk0': ['#block229', 'replication-disk0'] },
      blockNodes: ['replication-disk0', '#block229', '#block155', '#block064', 'colo-disk0'],
      objects: ['type', 'iothread-net0', 'm0-net0', 'comp-net0'],
      chardevs: ['mirror0-net0'],
      nbdExports: ['disk0'], // disk1 is shutting down: not served any more
      compareProps: { 'comp-net0': { compare_timeout: 3000, expired_scan_cycle: 3000, max_queue_size: 1024 } },
      virtioDisabled: ['/machine/peripheral/blk-disk0/virtio-backend'],
    });
  });

  test('failed queries leave safe defaults, never a false "healthy"', () => {
    const replies = batch.commands.map(() => err('CommandNotFound'));
    const q = qemuFromReplies(base, vm, batch, replies);
    assert.equal(q.runStatus, undefined);
    assert.equal(q.coloMode, 'none');
    assert.equal(q.migrateStatus, 'none');
    assert.deepEqual(q.migrateParams, {});
    assert.deepEqual(q.quorumChildren, {});
    assert.deepEqual(q.objects, []);
    assert.deepEqual(q.nbdExports, []);
    assert.deepEqual(q.compareProps, {});
    assert.deepEqual(q.virtioDisabled, []);
    assert.deepEqual(q.consoleCrash, ['x'], 'facts from the host report are kept');
  });

  test('a secondary in -incoming: query-migrate is empty, status inmigrate', () => {
    const replies = [
      ok({ status: 'inmigrate', running: false }),
      ok({ 'last-mode': 'none', mode: 'none', reason: 'none' }),
      ok({}),
      ok({}),
      ok({ nodes: [], edges: [] }),
      ok([]),
      ok([]),
      ok([]),
    ];
    const q = qemuFromReplies({ host: 'beta', alive: true }, vm, batch, replies);
    assert.equal(q.runStatus, 'inmigrate');
    assert.equal(q.coloMode, 'none');
    assert.equal(q.coloReason, 'none');
    assert.equal(q.migrateStatus, 'none');
    assert.deepEqual(q.blockNodes, []);
    assert.deepEqual(q.compareProps, {}, 'missing replies are not numbers');
    assert.deepEqual(q.virtioDisabled, []);
  });
});
