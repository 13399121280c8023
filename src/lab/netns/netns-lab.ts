/**
 * `colo lab up --network netns`: two "hosts" that are network namespaces, each with its own sshd on
 * its management address (so every QEMU colo starts through it runs there too), a LAN and a
 * replication bridge in the lab's own namespace, a client namespace on the LAN, and a routed veth
 * from the root namespace for colo's SSH. Writes `D/lab.json` (status "starting" before anything is
 * made, "up" when done) and `D/colo.yaml` (the hosts, keys pinned, their fence commands, and the VMs
 * on the bridged LAN: netns-lab-spec.ts), ready for `colo apply`. `netnsLabDown` removes all of it
 * (QEMU included: it runs in the hosts' namespaces); both sweep what a crashed lab of the same
 * directory left.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { pidRunning } from '../../transport/pid.ts';
import { ensureGuest, ensureLabQemu, LAB_FIRMWARE_DIRS, packageRoot } from '../assets.ts';
import { insideDir } from '../lab-dir.ts';
import { startSshHosts, stopSshd, type SshLab } from '../sshd.ts';
import { sshdRunning } from '../sshd-restart.ts';
import { applySetup, runArgv, type ArgvRunner } from './apply-topology.ts';
import { LAB_HOST_NAMES, SLOT_COUNT, slotOf, type LabHostName } from './names.ts';
import { labVmNames, netnsLabGuests, netnsLabSpec, tapUpScript, type NetnsSpecHost } from './netns-lab-spec.ts';
import {
  isNetnsLab,
  labJsonPath,
  readLabJson,
  readNetnsLab,
  startingInfo,
  upInfo,
  type NetnsLabInfo,
} from './netns-lab-info.ts';
import { sweepSuffix } from './sweep.ts';
import { hostLauncher, writeHostInit } from './host-root.ts';
import { assertClusterPackages, labClusterSection } from './lab-cluster.ts';

const execFileP = promisify(execFile);
import { buildTopology, type Topology } from './topology.ts';

export interface NetnsLabOptions {
  dir: string;
  /** Number of VMs (web, web2, ...; default 1). */
  vms?: number;
  log?: (line: string) => void;
  /** Use this QEMU instead of building the patched test QEMU. */
  qemuBinary?: string;
  /** Write a `cluster:` section (corosync + Pacemaker per host, fenced by fence.command): lab-cluster.ts. */
  cluster?: boolean;
}

interface LabAssets {
  qemuBinary: string;
  guest: { kernel: string; initrd: string; cmdline: string };
}

/** The test QEMU and guest, built once and cached (before anything of the lab is made). */
async function labAssets(opts: NetnsLabOptions, log: (l: string) => void): Promise<LabAssets> {
  log('building or reusing the test QEMU (cached) ...');
  const qemuBinary = opts.qemuBinary ?? (await ensureLabQemu()).binary;
  log('building or reusing the tiny guest (cached) ...');
  return { qemuBinary, guest: await ensureGuest() };
}

/** A suffix no namespace or root link uses yet. */
async function freeSuffix(run: ArgvRunner): Promise<string> {
  const used = (await run(['ip', 'netns', 'list'])).stdout + (await run(['ip', '-o', 'link', 'show'])).stdout;
  for (;;) {
    const s = randomBytes(3).toString('hex');
    if (!used.includes(`colo-${s}-`) && !used.includes(`c${s}-`)) return s;
  }
}

/** A random slot none of whose 198.18 subnets appears in the root namespace's addresses or routes. */
async function freeSlot(run: ArgvRunner): Promise<number> {
  const text =
    (await run(['ip', '-4', '-o', 'addr', 'show'])).stdout + (await run(['ip', '-4', 'route', 'show'])).stdout;
  const used = new Set<number>();
  for (const m of text.matchAll(/198\.1[89]\.\d{1,3}\.\d{1,3}/g)) used.add(slotOf(m[0]) ?? -1);
  const free = Array.from({ length: SLOT_COUNT }, (_, i) => i).filter((i) => !used.has(i));
  const slot = free[Math.floor(Math.random() * free.length)];
  if (slot === undefined) throw new Error('every 198.18.0.0/15 slot of the lab is in use in the root namespace');
  return slot;
}

async function writeInfo(info: NetnsLabInfo): Promise<void> {
  await writeFileAtomic(labJsonPath(info.dir), `${JSON.stringify(info, null, 2)}\n`);
}

/** argv of the fence command for a host: this colo's `lab kill-host NAME --dir D` (a power switch). */
export function fenceCommand(dir: string, host: LabHostName): string[] {
  return [process.execPath, path.join(packageRoot(), 'bin', 'colo.js'), 'lab', 'kill-host', host, '--dir', dir];
}

/** The tap ifup script, one disk image per VM, and the spec (hosts, keys pinned, fence commands, VMs). */
async function writeSpec(
  dir: string,
  t: Topology,
  ssh: SshLab,
  assets: LabAssets,
  vms: number,
  cluster: boolean,
): Promise<string> {
  const hosts: NetnsSpecHost[] = [];
  for (const h of ssh.hosts) {
    const name = LAB_HOST_NAMES.find((n) => n === h.name) ?? 'alpha';
    const workDir = path.join(dir, 'hosts', name);
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    hosts.push({ name, address: h.address, port: h.port, hostKey: h.hostKeyPublic, workDir });
  }
  const tapScript = path.join(dir, 'net', 'qemu-ifup');
  await mkdir(path.dirname(tapScript), { recursive: true, mode: 0o700 });
  await writeFile(tapScript, tapUpScript(t.names.inner.hostBridge), { mode: 0o700 });
  await mkdir(path.join(dir, 'images'), { recursive: true, mode: 0o700 });
  const images = labVmNames(vms).map((vm) => path.join(dir, 'images', `${vm}-disk0.qcow2`));
  for (const image of images) await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', image, '64M']);
  const doc = netnsLabSpec({
    t,
    hosts,
    user: ssh.user,
    identityFile: ssh.clientKey,
    qemu: { binary: assets.qemuBinary, firmware: LAB_FIRMWARE_DIRS },
    guest: assets.guest,
    images,
    tapScript,
    fenceCommand: (host) => fenceCommand(dir, host),
  });
  if (cluster) doc['cluster'] = labClusterSection();
  const schema = path.join(packageRoot(), 'schemas', 'colo.schema.json');
  const specFile = path.join(dir, 'colo.yaml');
  const first = netnsLabGuests(t, 1)[0];
  const text =
    `# yaml-language-server: $schema=${schema}\n# A network-namespace COLO lab written by "colo lab up ` +
    `--network netns": hosts alpha and beta in network namespaces, the tiny test guest on a bridged LAN.\n` +
    `# Its service, from the client namespace: colo lab exec client --dir ${dir} -- ` +
    `wget -qO- http://${first?.lanAddress}/\n${stringify(doc, { lineWidth: 0 })}`;
  await writeFileAtomic(specFile, text);
  return specFile;
}

/** A lab.json already in `dir`: refused while its lab runs; a crashed netns lab's leftovers are swept. */
async function sweepCrashed(dir: string, run: ArgvRunner, log: (l: string) => void): Promise<void> {
  const doc = readLabJson(dir);
  if (!doc) return;
  const alive = isNetnsLab(doc) && (doc.hosts ?? []).some((h) => sshdRunning(h.sshd.pidFile, h.sshd.configFile));
  if (!isNetnsLab(doc) || alive)
    throw new Error(`a lab already exists in ${dir}: run "colo lab down --dir ${dir}" first`);
  log(`removing what a crashed lab (suffix ${doc.suffix}) left in ${dir} ...`);
  await sweepSuffix(doc.suffix, run);
  await rm(dir, { recursive: true, force: true });
}

export async function netnsLabUp(opts: NetnsLabOptions, run: ArgvRunner = runArgv): Promise<NetnsLabInfo> {
  const dir = path.resolve(opts.dir);
  const log = opts.log ?? (() => undefined);
  await sweepCrashed(dir, run, log);
  if (opts.cluster) assertClusterPackages();
  const assets = await labAssets(opts, log);
  const vms = opts.vms ?? 1;
  const made = !existsSync(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const slot = await freeSlot(run);
  const t = buildTopology(await freeSuffix(run), slot, dir, vms);
  const info = startingInfo(dir, t, slot);
  await writeInfo(info);
  log(`making namespaces ${t.namespaces.join(', ')} ...`);
  try {
    await applySetup(t.setup, run);
    log(`starting sshd in ${LAB_HOST_NAMES.map((h) => t.names.ns.hosts[h]).join(' and ')} ...`);
    await writeHostInit(dir);
    const ssh = await startSshHosts({
      dir: path.join(dir, 'ssh'),
      hosts: LAB_HOST_NAMES.map((h) => ({
        name: h,
        address: t.addresses.mgmt.hosts[h],
        netns: t.names.ns.hosts[h],
        launcher: hostLauncher(dir, h),
      })),
    });
    const specFile = await writeSpec(dir, t, ssh, assets, vms, opts.cluster === true);
    const done = upInfo(info, t, ssh, specFile, {
      vms,
      qemuBinary: assets.qemuBinary,
      fence: (h) => fenceCommand(dir, h),
      cluster: opts.cluster === true,
    });
    await writeInfo(done);
    return done;
  } catch (err) {
    await sweepSuffix(t.names.suffix, run).catch(() => undefined);
    await (made ? rm(dir, { recursive: true, force: true }) : rm(labJsonPath(dir), { force: true }));
    throw err;
  }
}

/** Stops the sshds, removes every namespace and link of the lab, then the directory. */
export async function netnsLabDown(dirArg: string, run: ArgvRunner = runArgv): Promise<{ killed: number }> {
  const dir = path.resolve(dirArg); // `dir` itself, never the directory lab.json records
  const info = readNetnsLab(dir);
  for (const h of info.hosts ?? []) if (insideDir(dir, h.sshd.pidFile)) await stopSshd(h.sshd.pidFile);
  const r = await sweepSuffix(info.suffix, run);
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  return { killed: r.killed };
}
