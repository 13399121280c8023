/**
 * The cluster part of `colo plan`: per cluster of the spec (src/spec/cluster-layout.ts) observe its
 * hosts in parallel and plan it (src/plan/cluster-plan.ts). Nothing when the spec has no `cluster:`.
 */
import { clusterLayouts, type ClusterLayout } from '../../spec/cluster-layout.ts';
import type { Spec } from '../../spec/types.ts';
import { planCluster, type ClusterPlan } from '../../plan/cluster-plan.ts';
import type { Session } from '../session.ts';
import { clusterFiles, desiredFiles } from './cluster-files.ts';
import { observeClusterHost } from './observe-cluster.ts';

export function layoutsOf(spec: Spec): ClusterLayout[] {
  if (!spec.cluster) return [];
  return clusterLayouts(
    spec.cluster.name,
    spec.vms.map((v) => ({ vm: v.name, primary: v.primary, secondary: v.secondary })),
  );
}

export async function planClusters(session: Session, specText: string): Promise<ClusterPlan[]> {
  const spec = session.spec;
  const out: ClusterPlan[] = [];
  for (const layout of layoutsOf(spec)) {
    const files = desiredFiles(await clusterFiles(spec, layout, specText));
    const services = spec.cluster?.services ?? 'systemd';
    const observed = await Promise.all(
      layout.hosts.map((h) =>
        observeClusterHost(
          session.transport(h),
          services,
          (files[h] ?? []).map((f) => f.path),
        ),
      ),
    );
    out.push(planCluster(spec, layout, observed, files));
  }
  return out;
}
