/**
 * `colo lab up|down|exec`: the local one-machine COLO lab. By default two sshd hosts on loopback and a
 * tiny guest; `--network netns` makes each host a network namespace, guests on a bridged LAN (src/lab/netns/).
 */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { labDown, labUp, type LabInfo } from '../../lab/lab.ts';
import { netnsLabDown, netnsLabUp } from '../../lab/netns/netns-lab.ts';
import { isNetnsLab, readLabJson, type NetnsLabInfo } from '../../lab/netns/netns-lab-info.ts';
import { EXEC_TARGETS, isExecTarget, labExec } from '../../lab/netns/lab-exec.ts';
import { sweepOrphans } from '../../lab/netns/sweep.ts';
import { UserError } from '../user-error.ts';
import { registerLabFaults } from './lab-faults.ts';

interface UpOptions {
  dir: string;
  vms: string;
  network: string;
  qemuBinary?: string;
  json?: boolean;
  cluster?: boolean;
}

const log = (l: string): void => void process.stderr.write(`${l}\n`);

function loopbackReady(info: LabInfo): string[] {
  return [
    `Lab ready in ${info.dir}`,
    ...info.hosts.map((h) => `  host ${h.name}: sshd on ${h.address}:${h.port}`),
    ...info.vms.map((v) => `  vm ${v.name}: service on http://127.0.0.11:${v.servicePort}/ once applied`),
    '',
    `Next: colo apply -f ${info.specFile} --auto-approve`,
  ];
}

function netnsReady(info: NetnsLabInfo): string[] {
  const d = info.dir;
  const g = info.guests?.[0];
  return [
    `Lab ready in ${d} (network namespaces, suffix ${info.suffix})`,
    ...(info.hosts ?? []).map(
      (h) =>
        `  host ${h.name}: namespace ${h.namespace}, sshd on ${h.ssh.address}:${h.ssh.port}, ` +
        `LAN ${h.lanAddress}, replication ${h.replicationAddress}`,
    ),
    `  client: namespace ${info.client?.namespace}, LAN ${info.client?.lanAddress}`,
    ...(info.guests ?? []).map(
      (v) => `  vm ${v.vm}: LAN ${v.lanAddress} (HTTP port ${v.httpPort}, stream port ${v.streamPort}) once applied`,
    ),
    '',
    `Next: colo apply -f ${info.specFile} --auto-approve`,
    ...(g
      ? [
          `Then, from the client namespace: colo lab exec client --dir ${d} -- wget -qO- http://${g.lanAddress}/`,
          `  and hold the stream open: colo lab exec client --dir ${d} -- busybox nc ${g.lanAddress} ${g.streamPort}`,
          `With the stream open, kill the primary's host and fail over at once:`,
          `  colo lab kill-host alpha --dir ${d}; colo failover -f ${info.specFile} --to secondary`,
          `  colo lab revive-host alpha --dir ${d}; colo apply -f ${info.specFile} --auto-approve`,
          `Or cut a link: colo lab cut alpha lan|replication --dir ${d}; colo lab heal alpha --dir ${d}`,
        ]
      : []),
  ];
}

async function up(opts: UpOptions): Promise<number> {
  if (opts.network !== 'loopback' && opts.network !== 'netns')
    throw new UserError(`--network: expected loopback or netns, got "${opts.network}"`);
  const vms = Number(opts.vms);
  const max = opts.network === 'netns' ? 99 : 100; // netns: guest LAN addresses .100 to .198
  if (!Number.isInteger(vms) || vms < 1 || vms > max)
    throw new UserError(`--vms: expected a whole number from 1 to ${max}, got "${opts.vms}"`);
  if (opts.cluster && opts.network !== 'netns')
    throw new UserError('--cluster needs --network netns (each host needs its own namespaces for its cluster)');
  let info: LabInfo | NetnsLabInfo;
  try {
    info =
      opts.network === 'netns'
        ? await netnsLabUp({
            dir: opts.dir,
            vms,
            log,
            ...(opts.qemuBinary ? { qemuBinary: opts.qemuBinary } : {}),
            ...(opts.cluster ? { cluster: true } : {}),
          })
        : await labUp({ dir: opts.dir, vms, log, ...(opts.qemuBinary ? { qemuBinary: opts.qemuBinary } : {}) });
  } catch (err) {
    throw new UserError(`lab up failed: ${(err as Error).message}`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else process.stdout.write([...('network' in info ? netnsReady(info) : loopbackReady(info)), ''].join('\n'));
  return 0;
}

async function down(opts: { dir: string; sweep?: boolean }): Promise<number> {
  try {
    if (opts.sweep) {
      const r = await sweepOrphans();
      process.stdout.write(
        `Swept ${r.swept.length} orphaned netns lab(s)${r.swept.length ? `: ${r.swept.join(', ')}` : ''}` +
          `${r.kept.length ? `; kept ${r.kept.length} owned: ${r.kept.join(', ')}` : ''}.\n`,
      );
      return 0;
    }
    if (isNetnsLab(readLabJson(opts.dir))) {
      const r = await netnsLabDown(opts.dir);
      process.stdout.write(`Lab removed (namespaces, links and files; ${r.killed} process(es) killed).\n`);
      return 0;
    }
    const r = await labDown(opts.dir);
    process.stdout.write(`Lab removed (${r.killed} QEMU process${r.killed === 1 ? '' : 'es'} stopped).\n`);
    return 0;
  } catch (err) {
    throw new UserError(`lab down: ${(err as Error).message}`);
  }
}

async function exec(target: string, argv: string[], opts: { dir: string }): Promise<number> {
  if (!isExecTarget(target))
    throw new UserError(`lab exec: unknown target "${target}" (expected ${EXEC_TARGETS.join(', ')})`);
  try {
    return await labExec(opts.dir, target, argv);
  } catch (err) {
    throw new UserError(`lab exec: ${(err as Error).message}`);
  }
}

export function registerLab(program: Command, wire: Wire): void {
  const lab = program
    .command('lab')
    .description('a local COLO lab on this machine: two sshd "hosts" on 127.0.0.11/127.0.0.12 and a tiny guest');
  lab
    .command('up')
    .description('build (once, cached) the test QEMU and guest, start the two sshd hosts, write a ready spec')
    .option('--dir <dir>', 'lab directory (holds the spec, keys, images, host work dirs)', 'colo-lab')
    .option('--vms <n>', 'number of VM pairs', '1')
    .option(
      '--network <kind>',
      'loopback (sshd on 127.0.0.11/12) or netns (hosts in network namespaces, a bridged LAN; root)',
      'loopback',
    )
    .option('--qemu-binary <path>', 'use this qemu-system-x86_64 instead of building the patched test QEMU')
    .option('--json', 'print the lab description as JSON')
    .option('--cluster', 'netns: the spec gets a cluster: section (corosync + Pacemaker per host, no systemd)')
    .action(wire(up));
  lab
    .command('down')
    .description('kill the lab QEMUs, stop its sshd hosts, remove its namespaces and the lab directory')
    .option('--dir <dir>', 'lab directory', 'colo-lab')
    .option('--sweep', 'instead: remove every netns lab (colo-<suffix>-*) whose lab.json is gone')
    .action(wire(down));
  lab
    .command('exec')
    .description('run a command (argv, no shell) in a netns lab namespace; exits with its exit code')
    .argument('<target>', `one of ${EXEC_TARGETS.join(', ')}`)
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--dir <dir>', 'lab directory', 'colo-lab')
    .action(wire(exec));
  registerLabFaults(lab, wire);
}
