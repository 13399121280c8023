/**
 * The files colo writes on each host of one cluster, with their contents: corosync.conf, the spec copy
 * the agent reads (/etc/colo/colo.yaml) and, when a host of the cluster is fenced by its fence.command,
 * fence_colo with its configs (fence.envFile values read here, on this machine, as the manual path
 * does). The authkey is not among them: apply generates it (apply-cluster.ts). `desiredFiles` gives
 * the plan their hashes only.
 */
import { createHash } from 'node:crypto';
import type { ClusterLayout } from '../../spec/cluster-layout.ts';
import type { Spec } from '../../spec/types.ts';
import { renderCorosyncConf } from '../../render/cluster/corosync-conf.ts';
import { CLUSTER_SPEC_PATH } from '../../render/cluster/cib-desired.ts';
import { renderFenceColoInstall } from '../../render/cluster/fence-colo.ts';
import type { DesiredFile } from '../../plan/cluster-plan.ts';
import { fenceColoTargets } from './install-fence-colo.ts';

export const COROSYNC_CONF_PATH = '/etc/corosync/corosync.conf';

export interface HostFile {
  path: string;
  mode: number;
  text: string;
  what: string;
}

/** By host: the files colo writes there for this cluster. */
export async function clusterFiles(
  spec: Spec,
  layout: ClusterLayout,
  specText: string,
): Promise<Record<string, HostFile[]>> {
  const conf = renderCorosyncConf(layout, spec.cluster!);
  const targets = await fenceColoTargets(spec, layout.hosts);
  const out: Record<string, HostFile[]> = {};
  for (const h of layout.hosts) {
    const fence = targets.some((t) => t.host !== h)
      ? renderFenceColoInstall(h, targets).map((f) => ({ ...f, what: 'fence_colo' }))
      : [];
    out[h] = [
      { path: COROSYNC_CONF_PATH, mode: 0o644, text: conf, what: 'corosync.conf' },
      { path: CLUSTER_SPEC_PATH, mode: 0o600, text: specText, what: 'the spec copy' },
      ...fence,
    ];
  }
  return out;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function desiredFiles(files: Record<string, HostFile[]>): Record<string, DesiredFile[]> {
  return Object.fromEntries(
    Object.entries(files).map(([h, fs]) => [
      h,
      fs.map((f) => ({ path: f.path, mode: f.mode, sha256: sha256(f.text), what: f.what })),
    ]),
  );
}
