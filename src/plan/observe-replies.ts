/**
 * Reading what observation received (src/engine/observe.ts runs the recipes of
 * src/render/recipes/observe.ts): the host script's report and one QEMU's QMP replies, into the
 * observed model. Pure.
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState } from './state-model.ts';
import type { ObservedHost, ObservedQemu } from './observed.ts';
import { diskIds } from '../render/ids.ts';
import { compareFact, virtioFact, type ObserveBatch } from '../render/recipes/observe.ts';
import { specVmsOnHost } from '../render/recipes/vm-recipes.ts';
import type { Facts } from '../render/recipes/evaluate.ts';
import { plainConsoleLine } from './console-text.ts';

export interface HostReport {
  host: ObservedHost;
  vms: Record<string, { pid?: number; alive: boolean; argv?: string[]; crash: string[]; stopped?: boolean }>;
}

/** Reads the version out of `qemu --version` output; throws when it is not QEMU's. */
export type VersionReader = (text: string) => { version: { major: number; minor: number; micro: number } };

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function qemuLine(host: ObservedHost, f: string[], readVersion: VersionReader): void {
  const text = b64(f[2] ?? '');
  if (f[1] !== 'ok') {
    host.qemuError = text.trim() || 'QEMU binary not found';
    return;
  }
  try {
    const v = readVersion(text);
    host.qemuVersion = { major: v.version.major, minor: v.version.minor, micro: v.version.micro, text: text.trim() };
  } catch {
    host.qemuError = `unexpected --version output: ${text.trim().slice(0, 120)}`;
  }
}

/** `workdir 1 UID MODE MYUID` (or `workdir 0`): exists, and whether it is private to the SSH user. */
function workDirLine(host: ObservedHost, f: string[]): void {
  host.workDirExists = f[1] === '1';
  const [uid, mode, me] = [f[2], f[3], f[4]];
  if (!host.workDirExists || uid === undefined || mode === undefined || me === undefined) return;
  const bits = parseInt(mode, 8);
  const why: string[] = [];
  if (uid !== me) why.push(`owned by uid ${uid}, not the SSH user (uid ${me})`);
  if (!Number.isNaN(bits) && (bits & 0o077) !== 0) why.push(`mode ${bits.toString(8).padStart(4, '0')}`);
  if (why.length > 0) host.workDirUnsafe = why.join(', ');
}

export function parseHostReport(hostName: string, stdout: string, readVersion: VersionReader): HostReport {
  const host: ObservedHost = { name: hostName, reachable: true, workDirExists: false };
  const vms: HostReport['vms'] = {};
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] === 'qemu') qemuLine(host, f, readVersion);
    else if (f[0] === 'workdir') workDirLine(host, f);
    else if (f[0] === 'kvm') host.kvm = f[1] === '1';
    else if (f[0] === 'gnutls') host.gnutls = f[1] === '1';
    else if (f[0] === 'tlsfile' && f[1])
      (host.tlsFiles ??= []).push({
        name: f[1],
        readable: f[2] === '1',
        ...(f[3] && f[3] !== '-' ? { mode: f[3] } : {}),
      });
    else if (f[0] === 'vm' && f[1]) {
      const pid = f[2] && f[2] !== '-' ? Number(f[2]) : undefined;
      const argv =
        f[4] && f[4] !== '-'
          ? b64(f[4])
              .split('\u0000')
              .filter((_, i, a) => i < a.length - 1 || a[i] !== '')
          : undefined;
      vms[f[1]] = {
        ...(pid !== undefined ? { pid } : {}),
        alive: f[3] === '1',
        ...(argv ? { argv } : {}),
        // serial console lines end in \r\n; the guest's text is made plain (src/plan/console-text.ts)
        crash: f[5] && f[5] !== '-' ? b64(f[5]).split(/\r?\n/).map(plainConsoleLine).filter(Boolean).slice(0, 5) : [],
        // /proc state T (stopped by a signal) or t (traced)
        ...(f[6] === 'T' || f[6] === 't' ? { stopped: true } : {}),
      };
    }
  }
  return { host, vms };
}

/** The hosts a command observes (and a changing command locks): those of the spec's VMs and of the state's. */
export function observedHosts(spec: Spec, state: ColoState | null): Set<string> {
  const hosts = new Set<string>();
  for (const vm of spec.vms) hosts.add(vm.primary).add(vm.secondary);
  for (const vs of Object.values(state?.vms ?? {})) {
    if (spec.hosts[vs.primaryHost]) hosts.add(vs.primaryHost);
    if (spec.hosts[vs.secondaryHost]) hosts.add(vs.secondaryHost);
  }
  return hosts;
}

/** Names of the VMs whose QEMU may live on a host: spec VMs using it, plus VMs only the state knows. */
export function vmsOnHost(spec: Spec, state: ColoState | null, hostName: string): string[] {
  const names = new Set<string>(specVmsOnHost(spec, hostName));
  for (const [name, vs] of Object.entries(state?.vms ?? {}))
    if (vs.primaryHost === hostName || vs.secondaryHost === hostName) names.add(name);
  return [...names].sort();
}

/** What the host report says about one VM's QEMU; a reused pid that is not our QEMU is not alive for us. */
export function qemuFromHostReport(
  hostName: string,
  pidFile: string,
  found: HostReport['vms'][string] | undefined,
): ObservedQemu {
  const ours = !!found?.alive && !!found.argv && found.argv.includes(pidFile);
  return {
    host: hostName,
    alive: ours,
    ...(ours && found?.pid !== undefined ? { pid: found.pid } : {}),
    ...(ours && found?.argv
      ? { argv: found.argv, startedAs: found.argv.includes('-incoming') ? 'secondary' : 'primary' }
      : {}),
    ...(found && found.crash.length > 0 ? { consoleCrash: found.crash } : {}),
    ...(ours && found?.stopped ? { stopped: true } : {}),
  };
}

const obj = (x: unknown): Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};

/**
 * The children of each quorum, keyed by drive name, from x-debug-query-block-graph. `quorums` gives
 * each drive name and its quorum's node name; a QEMU started before colo named the quorum node is
 * found through the drive.
 */
export function quorumChildrenFromGraph(
  graph: unknown,
  quorums: { drive: string; node: string }[],
): Record<string, string[]> {
  const g = obj(graph);
  const nodes = Array.isArray(g.nodes) ? g.nodes.map(obj) : [];
  const edges = Array.isArray(g.edges) ? g.edges.map(obj) : [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: Record<string, string[]> = {};
  for (const { drive: q, node } of quorums) {
    let quorumNode = nodes.find((n) => (n.name === node || n.name === q) && n.type === 'block-driver');
    if (!quorumNode) {
      const backend = nodes.find((n) => n.name === q && n.type === 'block-backend');
      const e = backend ? edges.find((x) => x.parent === backend.id) : undefined;
      quorumNode = e ? byId.get(e.child) : undefined;
    }
    if (!quorumNode) continue;
    out[q] = edges
      .filter(
        (e) => e.parent === quorumNode!.id && typeof e.name === 'string' && (e.name as string).startsWith('children.'),
      )
      .map((e) => String(byId.get(e.child)?.name ?? ''));
  }
  return out;
}

const names = (list: unknown, key: string): string[] =>
  Array.isArray(list) ? list.map((x) => String(obj(x)[key] ?? '')) : [];

/**
 * One QEMU's observation from the facts of the observe recipe (a failed query: its fact is absent,
 * its error in `errors`). A failed health query is recorded as unknown health, never as healthy.
 */
export function qemuFromFacts(
  base: ObservedQemu,
  vm: VmSpec,
  batch: ObserveBatch,
  facts: Facts,
  errors: Record<string, string> = {},
): ObservedQemu {
  const q: ObservedQemu = { ...base };
  const status = obj(facts['status']);
  if (typeof status.status === 'string') q.runStatus = status.status;
  const colo = obj(facts['colo']);
  q.coloMode = (typeof colo.mode === 'string' ? colo.mode : 'none') as ObservedQemu['coloMode'];
  if (typeof colo.reason === 'string') q.coloReason = colo.reason;
  const mig = obj(facts['migrate']);
  q.migrateStatus = typeof mig.status === 'string' ? mig.status : 'none';
  q.migrateParams = obj(facts['migrate-params']);
  const graph = facts['graph'];
  q.quorumChildren = quorumChildrenFromGraph(
    graph,
    vm.disks.map((d) => ({ drive: diskIds(d).quorum, node: diskIds(d).quorumNode })),
  );
  q.blockNodes = names(obj(graph).nodes, 'name').filter(Boolean);
  q.objects = names(facts['objects'], 'name').filter((n) => n && !n.startsWith('/'));
  q.chardevs = names(facts['chardevs'], 'label');
  const exports = facts['exports'];
  // An export QEMU is shutting down (nbd-server-remove, hard) no longer serves: it is missing.
  q.nbdExports = Array.isArray(exports)
    ? exports.filter((e) => obj(e)['shutting-down'] !== true).map((e) => String(obj(e).id ?? ''))
    : [];
  q.compareProps = {};
  for (const [id, prop] of batch.compareKeys) {
    const v = facts[compareFact(id, prop)];
    if (typeof v === 'number') (q.compareProps[id] ??= {})[prop] = v;
  }
  q.virtioDisabled = batch.virtioPaths.filter((_, i) => obj(facts[virtioFact(i)]).disabled === true);
  const unknown = healthUnknown(batch, errors);
  if (unknown.length > 0) q.healthUnknown = unknown;
  return q;
}

/** The health queries that failed: what could not be learnt, with QEMU's (or the transport's) reason. */
function healthUnknown(
  batch: ObserveBatch,
  errors: Record<string, string>,
): NonNullable<ObservedQemu['healthUnknown']> {
  const unknown: NonNullable<ObservedQemu['healthUnknown']> = [];
  for (const [fact, query] of [
    ['status', 'query-status'],
    ['colo', 'query-colo-status'],
  ] as const) {
    if (errors[fact] !== undefined) unknown.push({ query, detail: errors[fact] });
  }
  batch.virtioPaths.forEach((path, i) => {
    const e = errors[virtioFact(i)];
    if (e !== undefined) unknown.push({ query: 'x-query-virtio-status', detail: `${path}: ${e}` });
  });
  return unknown;
}
