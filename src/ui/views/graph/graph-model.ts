/**
 * `colo graph` as data: the topology of every VM pair of a spec (hosts, the two QEMUs, their disks,
 * NICs, proxy objects and the links between them), with roles from the state when there is one.
 * Pure. Every QEMU id comes from src/render/ids.ts and every path from src/render/paths.ts, so the
 * graph names exactly what `colo render` and the engine use. Rendered by graph-text.ts and graph-dot.ts.
 */
import type { HostSpec, NetBackend, Spec, VmSpec } from '../../../spec/types.ts';
import type { ColoState, VmStatus } from '../../../plan/state-model.ts';
import { rolesFor } from '../../../plan/plan-pairs.ts';
import { diskIds, nicIds, type DiskIds, type NicIds } from '../../../render/ids.ts';
import { hostOf, vmPaths, type DiskPaths, type NicPaths } from '../../../render/paths.ts';
import { hostPort } from '../../../render/qemu-syntax.ts';

export interface GraphHost {
  name: string;
  /** "local" or "ssh user@address:port". */
  reach: string;
  replicationAddress: string;
  workDir: string;
  /** argv[0] of the host's fence command, when it has one. */
  fence?: string;
}

/** The secondary-style disk chain: active -> hidden -> parent (base), the base exported over NBD. */
export interface ReplicaChain {
  /** replication drive (mode=secondary) over the overlays. */
  childs: string;
  /** Drive over the base copy; the NBD export's device. */
  parent: string;
  paths: DiskPaths;
}

export interface GraphDisk {
  ids: DiskIds;
  interface: string;
  format: string;
  /** Primary started as primary: the user's image is the quorum's children.0. */
  image?: string;
  /** Secondary, or a promoted primary: children.0 is the replication chain. */
  chain?: ReplicaChain;
  /** Primary: children.1 replication (mode=primary) -> NBD client to the secondary's export. */
  replicationTo?: { replication: string; nbd: string; server: string; exportName: string };
  /** Secondary: the NBD export of the parent drive. */
  exportName?: string;
}

export interface GraphNic {
  ids: NicIds;
  paths: NicPaths;
  model: string;
  mac: string;
  /** The netdev backend in words, e.g. "bridge br0". */
  backend: string;
  hostForwards: { protocol: string; address: string; hostPort: number; guestPort: number }[];
  /** Primary: host:port its mirror (mirror0) and compare (compare1) servers listen on. */
  mirrorServer: string;
  compareServer: string;
  /** The filter-rewriter runs here (always on a secondary; on a primary promoted from a secondary). */
  rewriter: boolean;
}

export interface GraphSide {
  role: 'primary' | 'secondary';
  host: string;
  replicationAddress: string;
  /** A primary promoted by a failover was started with the secondary argv. */
  startedAs: 'primary' | 'secondary';
  dir: string;
  qmpSocket: string;
  /** Secondary: where it waits for the migration stream (-incoming). */
  incoming?: string;
  /** Secondary: the NBD server's address. */
  nbdServer?: string;
  disks: GraphDisk[];
  nics: GraphNic[];
}

export type LinkKind = 'nbd' | 'migration' | 'mirror' | 'compare';

/** A network link between the two QEMUs of a pair, in the direction the data flows. */
export interface GraphLink {
  kind: LinkKind;
  /** Disk or netdev id the link belongs to (none for migration). */
  of?: string;
  from: { host: string; id: string };
  to: { host: string; id: string };
  /** host:port of the listening side. */
  listen: string;
  /** Which side listens (the other connects). */
  listener: 'from' | 'to';
  /** Extra words, e.g. the export name. */
  note: string;
}

export interface PairGraph {
  vm: string;
  rolesFrom: 'spec' | 'state';
  /** Status recorded in the state, when the VM has an entry. */
  status?: VmStatus;
  machine: string;
  checkpoint: string;
  primary: GraphSide;
  secondary: GraphSide;
  links: GraphLink[];
}

export interface SpecGraph {
  hosts: GraphHost[];
  pairs: PairGraph[];
}

/** 2000 -> "2s", 1500 -> "1500ms". */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function describeBackend(b: NetBackend): string {
  switch (b.kind) {
    case 'user':
      return 'user (slirp)';
    case 'tap':
      return `tap${b.ifname !== undefined ? ` ${b.ifname}` : ''}`;
    case 'bridge':
      return `bridge ${b.bridge}`;
  }
}

function graphHost(h: HostSpec): GraphHost {
  return {
    name: h.name,
    reach: h.local || !h.ssh ? 'local' : `ssh ${h.ssh.user}@${hostPort(h.ssh.address, h.ssh.port)}`,
    replicationAddress: h.replicationAddress,
    workDir: h.workDir,
    ...(h.fence?.command[0] !== undefined ? { fence: h.fence.command[0] } : {}),
  };
}

function side(
  spec: Spec,
  vm: VmSpec,
  role: 'primary' | 'secondary',
  host: string,
  peer: string,
  promoted: boolean,
): GraphSide {
  const h = hostOf(spec, host);
  const peerHost = hostOf(spec, peer);
  const paths = vmPaths(spec, vm, host);
  const chainHere = role === 'secondary' || promoted;
  const disks: GraphDisk[] = vm.disks.map((disk, i) => {
    const ids = diskIds(disk);
    const dp = paths.disks[i];
    if (!dp) throw new Error(`vm ${vm.name}: no paths for disk ${disk.id}`);
    const d: GraphDisk = { ids, interface: disk.interface, format: disk.format };
    if (chainHere) d.chain = { childs: ids.childs, parent: ids.parent, paths: dp };
    else d.image = disk.image;
    if (role === 'primary')
      d.replicationTo = {
        replication: ids.replication,
        nbd: ids.nbd,
        server: hostPort(peerHost.replicationAddress, vm.ports.nbd),
        exportName: ids.exportName,
      };
    else d.exportName = ids.exportName;
    return d;
  });
  const primaryAddr = role === 'primary' ? h.replicationAddress : peerHost.replicationAddress;
  const nics: GraphNic[] = vm.netdevs.map((n, i) => {
    const ports = vm.ports.nics[i];
    const np = paths.nics[i];
    if (!ports || ports.netdevId !== n.id || !np) throw new Error(`vm ${vm.name}: no ports for netdev ${n.id}`);
    return {
      ids: nicIds(n),
      paths: np,
      model: n.model,
      mac: n.mac,
      backend: describeBackend(n.backend),
      hostForwards:
        n.backend.kind === 'user'
          ? n.backend.hostForwards.map((f) => ({
              protocol: f.protocol,
              address: f.hostAddress ?? h.replicationAddress,
              hostPort: f.hostPort,
              guestPort: f.guestPort,
            }))
          : [],
      mirrorServer: hostPort(primaryAddr, ports.mirror),
      compareServer: hostPort(primaryAddr, ports.compare),
      rewriter: chainHere,
    };
  });
  return {
    role,
    host,
    replicationAddress: h.replicationAddress,
    startedAs: role === 'primary' && !promoted ? 'primary' : 'secondary',
    dir: paths.dir,
    qmpSocket: paths.qmpSocket,
    ...(role === 'secondary'
      ? {
          incoming: `tcp:${hostPort(h.replicationAddress, vm.ports.migration)}`,
          nbdServer: hostPort(h.replicationAddress, vm.ports.nbd),
        }
      : {}),
    disks,
    nics,
  };
}

function links(vm: VmSpec, p: GraphSide, s: GraphSide): GraphLink[] {
  const out: GraphLink[] = [];
  for (const d of p.disks) {
    if (!d.replicationTo) continue;
    out.push({
      kind: 'nbd',
      of: d.ids.diskId,
      from: { host: p.host, id: d.ids.nbd },
      to: { host: s.host, id: d.ids.parent },
      listen: d.replicationTo.server,
      listener: 'to',
      note: `export ${d.ids.exportName}`,
    });
  }
  out.push({
    kind: 'migration',
    from: { host: p.host, id: 'migrate' },
    to: { host: s.host, id: '-incoming' },
    listen: s.incoming?.replace(/^tcp:/, '') ?? '',
    listener: 'to',
    note: `checkpoints every ${formatMs(vm.checkpoint.intervalMs)}`,
  });
  for (const n of p.nics) {
    out.push({
      kind: 'mirror',
      of: n.ids.netdevId,
      from: { host: p.host, id: n.ids.mirror },
      to: { host: s.host, id: n.ids.secMirror },
      listen: n.mirrorServer,
      listener: 'from',
      note: 'packets for the guest, copied',
    });
    out.push({
      kind: 'compare',
      of: n.ids.netdevId,
      from: { host: s.host, id: n.ids.secCompare },
      to: { host: p.host, id: n.ids.compareIn },
      listen: n.compareServer,
      listener: 'to',
      note: "the secondary's output, compared",
    });
  }
  return out;
}

export function pairGraph(spec: Spec, vm: VmSpec, state: ColoState | null): PairGraph {
  const roles = rolesFor(vm, state);
  const vs = state?.vms[vm.name];
  const fromState = !!vs && vs.primaryHost === roles.primary && vs.secondaryHost === roles.secondary;
  const promoted = roles.primaryOrigin === 'promoted-secondary';
  const primary = side(spec, vm, 'primary', roles.primary, roles.secondary, promoted);
  const secondary = side(spec, vm, 'secondary', roles.secondary, roles.primary, false);
  const m = vm.machine;
  return {
    vm: vm.name,
    rolesFrom: fromState ? 'state' : 'spec',
    ...(vs ? { status: vs.status } : {}),
    machine: `${m.type}, accel ${m.accel}, cpu ${m.cpu}, ${m.smp} vCPU${m.smp === 1 ? '' : 's'}, ${m.memoryMiB} MiB`,
    checkpoint:
      `every ${formatMs(vm.checkpoint.intervalMs)}, compare timeout ` + `${formatMs(vm.checkpoint.compareTimeoutMs)}`,
    primary,
    secondary,
    links: links(vm, primary, secondary),
  };
}

/** The whole spec, or the named VMs (in spec order) and their hosts. */
export function specGraph(spec: Spec, state: ColoState | null, vmNames?: readonly string[]): SpecGraph {
  const all = vmNames === undefined || vmNames.length === 0;
  const vms = spec.vms.filter((v) => all || vmNames.includes(v.name));
  // Every host of the spec, or with a VM filter only the hosts those pairs use.
  const hosts = Object.values(spec.hosts).filter(
    (h) => all || vms.some((v) => v.primary === h.name || v.secondary === h.name),
  );
  return {
    hosts: hosts.map(graphHost),
    pairs: vms.map((vm) => pairGraph(spec, vm, state)),
  };
}
