/**
 * One cluster's plan (pure): from what each host has (cluster-observed.ts) and what colo would write
 * there, the host changes (files: corosync.conf, the spec copy, fence_colo and its configs; the
 * authkey; starting corosync + pacemaker) and the CIB changes (cluster-diff.ts), and what makes apply
 * refuse (a missing package, with the install command; a host that cannot be asked; a CIB colo
 * cannot read). While Pacemaker does not run yet the CIB is not known: the plan lists what a fresh
 * cluster needs and apply diffs again against the real CIB once the cluster has formed.
 */
import type { ClusterLayout } from '../spec/cluster-layout.ts';
import type { Spec } from '../spec/types.ts';
import { desiredCib } from '../render/cluster/cib-desired.ts';
import type { CibModel } from '../render/cluster/cib-model.ts';
import { parseObservedCib, unreadableOwnedIds } from './cib-observed.ts';
import { cibChanges, type CibChange } from './cluster-diff.ts';
import type { ClusterHostObserved } from './cluster-observed.ts';
import { missingPackages, packagesRefusal, requiredClusterPackages } from './cluster-packages.ts';

export const AUTHKEY_PATH = '/etc/corosync/authkey';

/** A file colo writes on a cluster host, as the plan knows it (its hash, never its content). */
export interface DesiredFile {
  path: string;
  mode: number;
  sha256: string;
  /** For messages: "corosync.conf", "the spec copy", "fence_colo". */
  what: string;
}

export interface ClusterHostChange {
  address: string;
  host: string;
  action: 'create' | 'update';
  kind: 'file' | 'authkey' | 'services';
  path?: string;
  reason: string;
}

export interface ClusterPlan {
  name: string;
  hosts: string[];
  /** Why apply must not touch this cluster (each names the host and what to do). */
  refusals: string[];
  hostChanges: ClusterHostChange[];
  cib: CibChange[];
  /** Whether `cib` was diffed against the cluster's real CIB (false: Pacemaker does not run yet). */
  cibObserved: boolean;
}

export function clusterHasChanges(c: Pick<ClusterPlan, 'hostChanges' | 'cib'>): boolean {
  return c.hostChanges.length > 0 || c.cib.length > 0;
}

const EMPTY: CibModel = { properties: {}, resources: [], constraints: [] };

function fileChanges(name: string, o: ClusterHostObserved, want: readonly DesiredFile[]): ClusterHostChange[] {
  const out: ClusterHostChange[] = [];
  for (const f of want) {
    const have = o.files[f.path];
    const address = `cluster.${name}.host.${o.host}.file:${f.path}`;
    if (!have) {
      out.push({
        address,
        host: o.host,
        action: 'create',
        kind: 'file',
        path: f.path,
        reason: `${f.what}: not on the host`,
      });
    } else if (have.sha256 !== f.sha256 || parseInt(have.mode, 8) !== f.mode) {
      const why =
        have.sha256 !== f.sha256
          ? 'content differs from what the spec renders'
          : `mode ${have.mode}, want ${f.mode.toString(8)}`;
      out.push({ address, host: o.host, action: 'update', kind: 'file', path: f.path, reason: `${f.what}: ${why}` });
    }
  }
  return out;
}

function authkeyChanges(name: string, obs: readonly ClusterHostObserved[]): ClusterHostChange[] {
  const keys = obs.map((o) => o.files[AUTHKEY_PATH]);
  const same = keys.every((k) => k && k.mode === '400' && k.sha256 === keys[0]?.sha256);
  if (same) return [];
  const none = keys.every((k) => !k);
  const running = obs.some((o) => o.corosync === 'running');
  const reason = none
    ? 'no authkey yet: one is generated (0400, sent over SSH stdin, never shown)'
    : `the hosts' authkeys are missing, differ or are not 0400: a new one is generated for all` +
      (running ? '; corosync and pacemaker restart with it' : '');
  return obs.map((o) => ({
    address: `cluster.${name}.host.${o.host}.authkey`,
    host: o.host,
    action: o.files[AUTHKEY_PATH] ? 'update' : 'create',
    kind: 'authkey',
    path: AUTHKEY_PATH,
    reason,
  }));
}

function serviceChanges(name: string, obs: readonly ClusterHostObserved[]): ClusterHostChange[] {
  return obs
    .filter((o) => o.corosync !== 'running' || o.pacemakerd !== 'running')
    .map((o) => ({
      address: `cluster.${name}.host.${o.host}.services`,
      host: o.host,
      action: 'create',
      kind: 'services',
      reason: `start corosync and pacemaker (corosync ${o.corosync}, pacemakerd ${o.pacemakerd})`,
    }));
}

function hostRefusals(spec: Spec, obs: readonly ClusterHostObserved[]): string[] {
  const c = spec.cluster!;
  const out: string[] = [];
  for (const o of obs) {
    if (o.error !== undefined) {
      out.push(`host ${o.host}: cannot read its cluster state: ${o.error}`);
      continue;
    }
    const refusal = packagesRefusal(o.host, missingPackages(requiredClusterPackages(c, o.host), o.dpkg));
    if (refusal) out.push(refusal);
  }
  return out;
}

/** The CIB as the first host that answered with one reads it, or undefined (Pacemaker does not run). */
function observedCib(obs: readonly ClusterHostObserved[], refusals: string[]): CibModel | undefined {
  for (const o of obs) {
    if (o.cibError !== undefined) refusals.push(`host ${o.host}: cibadmin -Q failed: ${o.cibError}`);
    if (o.cibXml === undefined) continue;
    try {
      const odd = unreadableOwnedIds(o.cibXml);
      if (odd.length > 0) refusals.push(`the CIB has colo-named objects colo did not write: ${odd.join(', ')}`);
      return parseObservedCib(o.cibXml);
    } catch (e) {
      refusals.push(`host ${o.host}: cannot read its CIB: ${(e as Error).message}`);
    }
  }
  return undefined;
}

export function planCluster(
  spec: Spec,
  layout: ClusterLayout,
  observed: readonly ClusterHostObserved[],
  files: Readonly<Record<string, readonly DesiredFile[]>>,
): ClusterPlan {
  const refusals = hostRefusals(spec, observed);
  const reachable = observed.filter((o) => o.error === undefined);
  const hostChanges = [
    ...reachable.flatMap((o) => fileChanges(layout.name, o, files[o.host] ?? [])),
    ...(reachable.length === observed.length ? authkeyChanges(layout.name, observed) : []),
    ...serviceChanges(layout.name, reachable),
  ];
  const have = observedCib(reachable, refusals);
  return {
    name: layout.name,
    hosts: layout.hosts,
    refusals,
    hostChanges,
    cib: cibChanges(desiredCib(spec, layout), have ?? EMPTY),
    cibObserved: have !== undefined,
  };
}
