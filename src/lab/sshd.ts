/**
 * Real OpenSSH sshd instances for the lab and the test suite: each with its own config, host key,
 * pid file and log in a directory, listening on a loopback address; one client key authorized on all
 * of them and a known_hosts file listing their keys in `[address]:port` form. Stopped by pid.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { waitPidsGone } from '../transport/pid.ts';

const execFileP = promisify(execFile);

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface SshHostRequest {
  name: string;
  address: string;
  /** Free port picked on the address when absent (22 inside a namespace: it has its own ports). */
  port?: number;
  /** Run sshd inside this network namespace (`ip netns exec NS sshd ...`); its address is there. */
  netns?: string;
  /** Inside the namespace, run sshd through this argv prefix (the netns lab's host init: its own mounts). */
  launcher?: string[];
}

export interface SshHostRunning {
  name: string;
  address: string;
  port: number;
  /** "ssh-ed25519 AAAA..." */
  hostKeyPublic: string;
  pidFile: string;
  logFile: string;
  configFile: string;
  netns?: string;
  launcher?: string[];
}

export interface SshLab {
  hosts: SshHostRunning[];
  /** Private key path (ed25519, no passphrase) authorized on every host. */
  clientKey: string;
  /** known_hosts with every host's key as `[address]:port` (a bare address for port 22). */
  knownHosts: string;
  /** The user the client key logs in as (the current user). */
  user: string;
  stop(): Promise<void>;
}

export interface StartSshHostsOptions {
  dir: string;
  hosts: SshHostRequest[];
  /** Extra sshd_config lines for every host. */
  extraConfig?: string[];
  /** Milliseconds to wait for each sshd to accept connections (default 10000). */
  startTimeoutMs?: number;
}

/** Pick a free TCP port on an address (bind port 0, close, return it). */
export async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function keygen(path: string, comment: string): Promise<string> {
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
}

/** OpenSSH version as [major, minor], from `ssh -V` (sshd has no version flag). */
async function opensshVersion(): Promise<[number, number]> {
  try {
    const { stderr, stdout } = await execFileP('ssh', ['-V']);
    const m = /OpenSSH_(\d+)\.(\d+)/.exec(stderr + stdout);
    if (m) return [Number(m[1]), Number(m[2])];
  } catch {
    /* unknown */
  }
  return [0, 0];
}

/** Direct children of a pid (per-connection sshd processes of a listener). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const stat = readFileSync(`/proc/${ent}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(ent));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Stop the sshd whose pid is in pidFile, and its per-connection children; waits until they are gone. */
export async function stopSshd(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  const pids = [pid, ...childPids(pid)];
  for (const p of pids) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const left = await waitPidsGone(pids, 5000);
  for (const p of left) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitPidsGone(left, 2000);
}

/** Number of TCP connections sshd accepted, from its log ("Connection from A port P on B port Q"). */
export function countAcceptedConnections(logFile: string): number {
  if (!existsSync(logFile)) return 0;
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /Connection from \S+ port \d+ on \S+ port \d+/.test(l)).length;
}

function sshdConfig(
  h: { address: string; port: number; hostKey: string; pidFile: string; authorizedKeys: string },
  extra: string[],
): string {
  return [
    `ListenAddress ${h.address}:${h.port}`,
    `HostKey ${h.hostKey}`,
    `PidFile ${h.pidFile}`,
    `AuthorizedKeysFile ${h.authorizedKeys}`,
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UseDNS no',
    'PrintMotd no',
    'X11Forwarding no',
    'AllowStreamLocalForwarding yes',
    'MaxSessions 10',
    'MaxStartups 100:30:200',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    // Debian's bash reads ~/.bashrc for commands run by sshd unless SHLVL is set; a heavy bashrc
    // (pyenv init on our CI machines: ~180 ms) would otherwise be paid by every remote command.
    'SetEnv SHLVL=1',
    ...extra,
    '',
  ].join('\n');
}

async function startOne(
  req: SshHostRequest,
  dir: string,
  authorizedKeys: string,
  extra: string[],
  timeoutMs: number,
): Promise<SshHostRunning> {
  const hdir = join(dir, req.name);
  await mkdir(hdir, { recursive: true, mode: 0o700 });
  const hostKey = join(hdir, 'ssh_host_ed25519_key');
  const hostKeyPublic = existsSync(hostKey)
    ? (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
    : await keygen(hostKey, `colo-lab-${req.name}`);
  const pidFile = join(hdir, 'sshd.pid');
  const logFile = join(hdir, 'sshd.log');
  const configFile = join(hdir, 'sshd_config');
  let lastErr = '';
  const fixedPort = req.port ?? (req.netns ? 22 : undefined);
  for (let attempt = 0; attempt < (fixedPort === undefined ? 5 : 1); attempt++) {
    const port = fixedPort ?? (await freePort(req.address));
    await writeFile(logFile, ''); // fresh log: readiness and connection counts refer to this start only
    await writeFile(configFile, sshdConfig({ address: req.address, port, hostKey, pidFile, authorizedKeys }, extra));
    const code = await new Promise<number | null>((resolve, reject) => {
      const sshd = [SSHD_BINARY, '-f', configFile, '-E', logFile];
      const [cmd, ...args] = req.netns ? ['ip', 'netns', 'exec', req.netns, ...(req.launcher ?? []), ...sshd] : sshd;
      const p = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.once('error', reject);
      p.once('exit', (c) => {
        lastErr = err;
        resolve(c);
      });
    });
    if (code !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      lastErr = `${SSHD_BINARY} exited ${code}: ${lastErr.trim()} ${log}`.trim();
      continue; // port taken between freePort and bind: try another
    }
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      // sshd logs this after listen() and writes the pid file after daemonizing: it accepts from then on.
      // (No probe connection, so the log's connection count stays exact for tests.)
      if (
        existsSync(pidFile) &&
        existsSync(logFile) &&
        readFileSync(logFile, 'utf8').includes(`Server listening on ${req.address} port ${port}`)
      ) {
        const running = { name: req.name, address: req.address, port, hostKeyPublic, pidFile, logFile, configFile };
        if (!req.netns) return running;
        return { ...running, netns: req.netns, ...(req.launcher ? { launcher: req.launcher } : {}) };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopSshd(pidFile);
    throw new Error(
      `sshd for ${req.name} on ${req.address}:${port} did not accept connections within ${timeoutMs} ms (log: ` +
        `${logFile})`,
    );
  }
  throw new Error(`cannot start sshd for ${req.name} on ${req.address}: ${lastErr}`);
}

/** Start one sshd per requested host. Needs openssh-server and (for sshd's privilege separation) root. */
export async function startSshHosts(opts: StartSshHostsOptions): Promise<SshLab> {
  if (!existsSync(SSHD_BINARY)) {
    throw new Error(`${SSHD_BINARY} not found: install openssh-server (apt-get install -y openssh-server)`);
  }
  if (!existsSync('/run/sshd')) {
    try {
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new Error(`sshd needs /run/sshd (privilege separation directory): ${(e as Error).message}`);
    }
  }
  const dir = opts.dir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const clientKey = join(dir, 'client_ed25519');
  const clientPub = existsSync(clientKey)
    ? (await readFile(`${clientKey}.pub`, 'utf8')).trim()
    : await keygen(clientKey, 'colo-lab-client');
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFileAtomic(authorizedKeys, `${clientPub}\n`);
  const [major, minor] = await opensshVersion();
  const extra = [
    ...(major > 9 || (major === 9 && minor >= 8) ? ['PerSourcePenalties no'] : []),
    ...(opts.extraConfig ?? []),
  ];

  const running: SshHostRunning[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(running.map((h) => stopSshd(h.pidFile)));
  };
  try {
    for (const req of opts.hosts)
      running.push(await startOne(req, dir, authorizedKeys, extra, opts.startTimeoutMs ?? 10000));
  } catch (e) {
    await stopAll();
    throw e;
  }
  const knownHosts = join(dir, 'known_hosts');
  // OpenSSH's form: a bare address for port 22, `[address]:port` for any other.
  const entry = (h: SshHostRunning): string => (h.port === 22 ? h.address : `[${h.address}]:${h.port}`);
  await writeFileAtomic(knownHosts, running.map((h) => `${entry(h)} ${h.hostKeyPublic}\n`).join(''));
  return {
    hosts: running,
    clientKey,
    knownHosts,
    user: userInfo().username,
    stop: stopAll,
  };
}
