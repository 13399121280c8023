/**
 * `D/lab.json` of a network-namespace lab (documented by schemas/lab.schema.json). Written first with
 * status "starting" (suffix, slot and namespaces: what a crash would leave), then "up" with the hosts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SshLab } from '../sshd.ts';
import { LAB_HOST_NAMES, type LabHostName } from './names.ts';
import type { Topology } from './topology.ts';
import { netnsLabGuests, type NetnsLabGuest } from './netns-lab-spec.ts';
import { GUEST_HTTP_PORT, GUEST_STREAM_PORT } from '../guest-services.ts';

export interface NetnsLabHost {
  name: LabHostName;
  namespace: string;
  /** colo's SSH: the host's management address (routed from the root namespace) and port. */
  ssh: { address: string; port: number; hostKey: string };
  lanAddress: string;
  replicationAddress: string;
  /** launcher: the argv prefix sshd runs through in the namespace (the host's own mounts: host-root.ts). */
  sshd: { pidFile: string; logFile: string; configFile: string; launcher?: string[] };
  /** The spec's fence.command for this host: powers it off (`colo lab kill-host NAME`). */
  fenceCommand: string[];
}

/** A VM of the lab as a client on the LAN sees it. */
export interface NetnsLabVm extends NetnsLabGuest {
  httpPort: number;
  streamPort: number;
}

export interface NetnsLabInfo {
  network: 'netns';
  status: 'starting' | 'up';
  dir: string;
  /** Every name of the lab carries it: namespaces `colo-<suffix>-*`, links `c<suffix>-*`. */
  suffix: string;
  /** Which four /24s of 198.18.0.0/15 the lab uses. */
  slot: number;
  namespaces: { net: string; client: string; hosts: Record<LabHostName, string> };
  /** The lab's only link in the root namespace, and the subnet routed through it. */
  rootLink: { name: string; address: string; route: string };
  subnets: { management: string; lan: string; replication: string };
  client?: { namespace: string; lanAddress: string };
  hosts?: NetnsLabHost[];
  /** The VMs of the spec: per NIC its MAC and the guest's static LAN address; the guest's service ports. */
  guests?: NetnsLabVm[];
  specFile?: string;
  qemuBinary?: string;
  ssh?: { user: string; identityFile: string; knownHosts: string };
  /** The spec has a `cluster:` section (`lab up --cluster`): corosync + Pacemaker per host. */
  cluster?: boolean;
}

export function labJsonPath(dir: string): string {
  return path.join(path.resolve(dir), 'lab.json');
}

/** The lab.json in `dir` as parsed JSON, or undefined when there is none. */
export function readLabJson(dir: string): Record<string, unknown> | undefined {
  const file = labJsonPath(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

export function isNetnsLab(doc: Record<string, unknown> | undefined): doc is Record<string, unknown> & NetnsLabInfo {
  return doc?.['network'] === 'netns' && typeof doc['suffix'] === 'string';
}

/** The netns lab in `dir`; throws if there is none (or the lab there is the loopback one). */
export function readNetnsLab(dir: string): NetnsLabInfo {
  const doc = readLabJson(dir);
  if (!doc) throw new Error(`no lab in ${path.resolve(dir)} (missing lab.json)`);
  if (!isNetnsLab(doc)) throw new Error(`the lab in ${path.resolve(dir)} is not a network-namespace lab`);
  return doc;
}

/** lab.json before anything is made: what a crash would leave. */
export function startingInfo(dir: string, t: Topology, slot: number): NetnsLabInfo {
  const { names: n, addresses: a } = t;
  return {
    network: 'netns',
    status: 'starting',
    dir,
    suffix: n.suffix,
    slot,
    namespaces: n.ns,
    rootLink: { name: n.rootLink, address: a.p2p.root, route: a.mgmt.subnet },
    subnets: { management: a.mgmt.subnet, lan: a.lan.subnet, replication: a.repl.subnet },
  };
}

export interface UpExtras {
  vms: number;
  qemuBinary: string;
  fence: (host: LabHostName) => string[];
  cluster?: boolean;
}

/** lab.json once both sshd run and the spec is written. */
export function upInfo(info: NetnsLabInfo, t: Topology, ssh: SshLab, specFile: string, x: UpExtras): NetnsLabInfo {
  const a = t.addresses;
  return {
    ...info,
    status: 'up',
    client: { namespace: t.names.ns.client, lanAddress: a.lan.client },
    hosts: ssh.hosts.map((h) => {
      const name = LAB_HOST_NAMES.find((n) => n === h.name) ?? 'alpha';
      return {
        name,
        namespace: t.names.ns.hosts[name],
        ssh: { address: h.address, port: h.port, hostKey: h.hostKeyPublic },
        lanAddress: a.lan.hosts[name],
        replicationAddress: a.repl.hosts[name],
        sshd: {
          pidFile: h.pidFile,
          logFile: h.logFile,
          configFile: h.configFile,
          ...(h.launcher ? { launcher: h.launcher } : {}),
        },
        fenceCommand: x.fence(name),
      };
    }),
    guests: netnsLabGuests(t, x.vms).map((g) => ({ ...g, httpPort: GUEST_HTTP_PORT, streamPort: GUEST_STREAM_PORT })),
    specFile,
    qemuBinary: x.qemuBinary,
    ssh: { user: ssh.user, identityFile: ssh.clientKey, knownHosts: ssh.knownHosts },
    ...(x.cluster ? { cluster: true } : {}),
  };
}
