/**
 * The local lab: a one-machine COLO pair for newcomers, CI and tests. Two OpenSSH sshd "hosts" on
 * 127.0.0.11 and 127.0.0.12, the patched test QEMU and the tiny guest (both cached), a disk image,
 * and a ready spec (`<dir>/colo.yaml`) with the hosts' keys pinned. `labDown` undoes all of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { insideDir } from './lab-dir.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { createServer } from 'node:net';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { startSshHosts, stopSshd } from './sshd.ts';
import { ensureGuest, ensureLabQemu, LAB_FIRMWARE_DIRS, packageRoot } from './assets.ts';
import { GUEST_HTTP_PORT } from './guest-services.ts';

const execFileP = promisify(execFile);

export const LAB_HOSTS = [
  { name: 'alpha', address: '127.0.0.11' },
  { name: 'beta', address: '127.0.0.12' },
] as const;

export interface LabOptions {
  dir: string;
  /** Number of VM pairs (web, web2, ...); default 1. */
  vms?: number;
  /** Guest memory in MiB (default 128). */
  memoryMiB?: number;
  /** Checkpoint interval in ms (default 2000). */
  checkpointMs?: number;
  /** Where build output goes (default: nowhere but the cache logs). */
  log?: (line: string) => void;
  /** Use this QEMU instead of building the patched one (tests of the stock binary). */
  qemuBinary?: string;
}

export interface LabInfo {
  dir: string;
  specFile: string;
  hosts: { name: string; address: string; port: number; pidFile: string; logFile: string; configFile: string }[];
  vms: { name: string; servicePort: number }[];
  qemuBinary: string;
}

function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, address, () => srv.close(() => resolve(true)));
  });
}

/** A base port with `count` consecutive ports free on every lab address. */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      for (const h of LAB_HOSTS) if (!(await portFree(h.address, p))) ok = false;
    }
    if (ok) return base;
  }
  throw new Error('no free port range on 127.0.0.11/127.0.0.12');
}

export async function labUp(opts: LabOptions): Promise<LabInfo> {
  const dir = path.resolve(opts.dir);
  if (existsSync(path.join(dir, 'lab.json')))
    throw new Error(`a lab already exists in ${dir}: run "colo lab down --dir ${opts.dir}" first`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const log = opts.log ?? (() => undefined);
  log('building or reusing the test QEMU (cached) ...');
  const qemuBinary = opts.qemuBinary ?? (await ensureLabQemu()).binary;
  log('building or reusing the tiny guest (cached) ...');
  const guest = await ensureGuest();
  log('starting sshd on 127.0.0.11 and 127.0.0.12 ...');
  const ssh = await startSshHosts({
    dir: path.join(dir, 'ssh'),
    hosts: LAB_HOSTS.map((h) => ({ name: h.name, address: h.address })),
  });
  try {
    const nVms = opts.vms ?? 1;
    // Per VM: migration, nbd, mirror, compare (allocated by the spec from the base) + a service port.
    const base = await freePortRange(nVms * 5 + 2);
    const servicePorts = Array.from({ length: nVms }, (_, i) => base + nVms * 4 + i);
    await mkdir(path.join(dir, 'images'), { recursive: true, mode: 0o700 });
    const hosts = await labHosts(dir, ssh, qemuBinary);
    const { vms, vmInfo } = await labVms(dir, guest, servicePorts);
    const specFile = await writeLabSpec(
      dir,
      {
        apiVersion: 'colo/v1',
        hosts,
        defaults: {
          machine: { type: 'pc', accel: 'tcg', cpu: 'qemu64', memory: `${opts.memoryMiB ?? 128}M`, smp: 1 },
          checkpoint: { interval: `${opts.checkpointMs ?? 2000}ms` },
          ports: { base },
        },
        vms,
      },
      servicePorts[0],
    );
    const info: LabInfo = {
      dir,
      specFile,
      hosts: ssh.hosts.map((h) => ({
        name: h.name,
        address: h.address,
        port: h.port,
        pidFile: h.pidFile,
        logFile: h.logFile,
        configFile: h.configFile,
      })),
      vms: vmInfo,
      qemuBinary,
    };
    await writeFileAtomic(path.join(dir, 'lab.json'), `${JSON.stringify(info, null, 2)}\n`);
    return info;
  } catch (err) {
    await ssh.stop().catch(() => undefined);
    throw err;
  }
}

type SshHosts = Awaited<ReturnType<typeof startSshHosts>>;
type Guest = Awaited<ReturnType<typeof ensureGuest>>;

/** The spec's hosts: each sshd with its pinned key, the lab's QEMU and a work directory under `dir`. */
async function labHosts(dir: string, ssh: SshHosts, qemuBinary: string): Promise<Record<string, unknown>> {
  const hosts: Record<string, unknown> = {};
  for (const h of ssh.hosts) {
    const workDir = path.join(dir, 'hosts', h.name);
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    hosts[h.name] = {
      ssh: {
        address: h.address,
        port: h.port,
        user: ssh.user,
        identityFile: ssh.clientKey,
        hostKey: h.hostKeyPublic,
      },
      replicationAddress: h.address,
      qemu: { binary: qemuBinary, firmware: [...LAB_FIRMWARE_DIRS] },
      workDir,
    };
  }
  return hosts;
}

/** The spec's VMs (web, web2, ...): the tiny guest, a fresh 64M disk each, a forwarded service port. */
async function labVms(
  dir: string,
  guest: Guest,
  servicePorts: number[],
): Promise<{ vms: Record<string, unknown>; vmInfo: LabInfo['vms'] }> {
  const vms: Record<string, unknown> = {};
  const vmInfo: LabInfo['vms'] = [];
  for (const [i, servicePort] of servicePorts.entries()) {
    const name = i === 0 ? 'web' : `web${i + 1}`;
    const image = path.join(dir, 'images', `${name}-disk0.qcow2`);
    await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', image, '64M']);
    vms[name] = {
      primary: 'alpha',
      secondary: 'beta',
      boot: { kernel: guest.kernel, initrd: guest.initrd, append: guest.cmdline },
      disks: [{ id: 'disk0', image, format: 'qcow2', interface: 'virtio' }],
      netdevs: [
        {
          id: 'net0',
          backend: 'user',
          model: 'virtio-net-pci',
          hostForwards: [{ protocol: 'tcp', hostPort: servicePort, guestPort: GUEST_HTTP_PORT }],
        },
      ],
    };
    vmInfo.push({ name, servicePort });
  }
  return { vms, vmInfo };
}

/** Writes `<dir>/colo.yaml` (with the schema modeline and how to reach the service); returns its path. */
async function writeLabSpec(dir: string, doc: object, servicePort: number | undefined): Promise<string> {
  const schema = path.join(packageRoot(), 'schemas', 'colo.schema.json');
  const specFile = path.join(dir, 'colo.yaml');
  await writeFileAtomic(
    specFile,
    `# yaml-language-server: $schema=${schema}\n# A local COLO lab written by "colo lab up": two sshd hosts ` +
      `on loopback, the tiny test guest.\n# Service of VM web: curl http://127.0.0.11:${servicePort}/ ` +
      `(primary) or 127.0.0.12 after a failover.\n${stringify(doc, { lineWidth: 0 })}`,
  );
  return specFile;
}

export function readLabInfo(dir: string): LabInfo {
  const file = path.join(path.resolve(dir), 'lab.json');
  if (!existsSync(file)) throw new Error(`no lab in ${path.resolve(dir)} (missing lab.json): nothing to do`);
  return JSON.parse(readFileSync(file, 'utf8')) as LabInfo;
}

/**
 * Kill every QEMU of the lab (by pid files under its host work dirs), stop the sshds, remove the dir:
 * `dir` itself, whatever directory its lab.json records, and only pid files inside it.
 */
export async function labDown(dirArg: string, opts: { keep?: boolean } = {}): Promise<{ killed: number }> {
  const dir = path.resolve(dirArg);
  const info = readLabInfo(dir);
  let killed = 0;
  const { readdir } = await import('node:fs/promises');
  for (const h of info.hosts) {
    const hostDir = path.join(dir, 'hosts', path.basename(h.name));
    const vmDirs = existsSync(hostDir) ? await readdir(hostDir) : [];
    for (const vm of vmDirs) {
      const pidFile = path.join(hostDir, vm, 'qemu.pid');
      if (!existsSync(pidFile)) continue;
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      if (!pid) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmd.includes(pidFile)) continue;
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* gone */
      }
    }
  }
  for (const h of info.hosts) if (insideDir(dir, h.pidFile)) await stopSshd(h.pidFile).catch(() => undefined);
  if (!opts.keep) await rm(dir, { recursive: true, force: true });
  return { killed };
}
