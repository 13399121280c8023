/**
 * Host death, isolation and cut cables in the netns lab
 * (`colo lab kill-host / isolate-host / revive-host / cut / heal`).
 *
 * kill-host is a power switch: the host's links go down first (so a dying process sends nothing, as
 * with a power cut), then every process in its namespace is SIGKILLed, again until none is left. It is
 * idempotent and succeeds only when nothing runs in the namespace: it is also the `fence.command` the
 * lab writes for each host. revive-host sets the links up and starts the host's sshd again (same key
 * and port; no QEMU). isolate-host only sets the host's links down: every process in it runs on
 * (its QEMU too) but nothing can reach it nor hear from it, as when all of a host's cables fail at
 * once; revive-host sets them up again (its sshd still runs). cut sets the lab switch's port of one
 * link down; heal sets both up.
 */
import { killAll, namespacePids, NetnsCommandError, runArgv, type ArgvRunner } from './apply-topology.ts';
import { healArgv, hostLinksArgv, reviveArgv, switchPortArgv, type CutLink } from './host-links.ts';
import { LAB_HOST_NAMES, labAddresses, labNames, type LabHostName } from './names.ts';
import { readNetnsLab, type NetnsLabHost, type NetnsLabInfo } from './netns-lab-info.ts';
import { restartSshd, sshdRunning } from '../sshd-restart.ts';

export function isLabHost(s: string): s is LabHostName {
  return (LAB_HOST_NAMES as readonly string[]).includes(s);
}

/** How many rounds of SIGKILL kill-host tries before it reports survivors (a fork bomb would need more). */
const KILL_ROUNDS = 10;

async function runAll(argvs: readonly (readonly string[])[], run: ArgvRunner): Promise<void> {
  for (const argv of argvs) {
    const r = await run(argv);
    if (r.code !== 0) throw new NetnsCommandError(argv, r.stderr, r.code);
  }
}

function upLab(dir: string): NetnsLabInfo {
  const info = readNetnsLab(dir);
  if (info.status !== 'up') throw new Error(`the lab in ${info.dir} is not up (status ${info.status})`);
  return info;
}

export interface KillHostResult {
  host: LabHostName;
  namespace: string;
  /** Processes killed now (0 when the host was already dead). */
  killed: number;
}

/** Powers a host off: its links down, then every process in its namespace killed; throws unless none is left. */
export async function killHost(dir: string, host: LabHostName, run: ArgvRunner = runArgv): Promise<KillHostResult> {
  const info = upLab(dir);
  const n = labNames(info.suffix);
  const ns = n.ns.hosts[host];
  await runAll(hostLinksArgv(n, host, 'down'), run);
  let killed = 0;
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const pids = await namespacePids(ns, run);
    if (pids.length === 0) return { host, namespace: ns, killed };
    const left = await killAll(pids, 3000);
    killed += pids.length - left.length;
  }
  const left = await namespacePids(ns, run);
  if (left.length === 0) return { host, namespace: ns, killed };
  throw new Error(`host ${host} is not dead: processes ${left.join(', ')} still run in namespace ${ns}`);
}

export interface IsolateHostResult {
  host: LabHostName;
  namespace: string;
  /** Processes still running in its namespace (its QEMU and sshd, unreachable now). */
  running: number;
}

/** Cuts a host off: its management, LAN and replication link ends down, nothing killed. */
export async function isolateHost(
  dir: string,
  host: LabHostName,
  run: ArgvRunner = runArgv,
): Promise<IsolateHostResult> {
  const info = upLab(dir);
  const n = labNames(info.suffix);
  const ns = n.ns.hosts[host];
  await runAll(hostLinksArgv(n, host, 'down'), run);
  return { host, namespace: ns, running: (await namespacePids(ns, run)).length };
}

export interface ReviveHostResult {
  host: LabHostName;
  /** false when its sshd was running already. */
  sshdStarted: boolean;
}

function labHost(info: NetnsLabInfo, host: LabHostName): NetnsLabHost {
  const h = info.hosts?.find((x) => x.name === host);
  if (!h) throw new Error(`the lab in ${info.dir} has no host ${host}`);
  return h;
}

/** Powers a host on: its links up, its sshd started (if it is not running); no QEMU. */
export async function reviveHost(dir: string, host: LabHostName, run: ArgvRunner = runArgv): Promise<ReviveHostResult> {
  const info = upLab(dir);
  const n = labNames(info.suffix);
  const h = labHost(info, host);
  await runAll(reviveArgv(n, labAddresses(info.slot), host), run);
  if (sshdRunning(h.sshd.pidFile, h.sshd.configFile)) return { host, sshdStarted: false };
  await restartSshd({
    address: h.ssh.address,
    port: h.ssh.port,
    configFile: h.sshd.configFile,
    logFile: h.sshd.logFile,
    pidFile: h.sshd.pidFile,
    netns: h.namespace,
    ...(h.sshd.launcher ? { launcher: h.sshd.launcher } : {}),
  });
  return { host, sshdStarted: true };
}

/** Pulls one of the host's cables at the lab switch. */
export async function cutLink(dir: string, host: LabHostName, link: CutLink, run: ArgvRunner = runArgv): Promise<void> {
  const info = upLab(dir);
  await runAll([switchPortArgv(labNames(info.suffix), host, link, 'down')], run);
}

/** Plugs every cable of the host back in at the lab switch. */
export async function healHost(dir: string, host: LabHostName, run: ArgvRunner = runArgv): Promise<void> {
  const info = upLab(dir);
  await runAll(healArgv(labNames(info.suffix), host), run);
}
