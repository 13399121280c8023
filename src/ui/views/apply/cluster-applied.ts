/** What apply did to one cluster, in words and as the `cluster_applied` event (schemas/apply-events.schema.json). */
import type { ClusterApplyResult } from '../../../engine/cluster/apply-cluster.ts';

export function clusterAppliedMessage(r: ClusterApplyResult): string {
  const parts = [
    `${r.filesWritten} file${r.filesWritten === 1 ? '' : 's'} written`,
    ...(r.authkeyWritten ? ['authkey generated'] : []),
    ...(r.started.length > 0 ? [`started on ${r.started.join(', ')}`] : []),
    ...(r.formationMs !== undefined ? [`formed in ${(r.formationMs / 1000).toFixed(1)} s`] : []),
    `${r.cib.length} CIB change${r.cib.length === 1 ? '' : 's'}`,
  ];
  return `Cluster ${r.name}: ${parts.join(', ')}.`;
}

export function clusterAppliedEvent(r: ClusterApplyResult, now: Date = new Date()) {
  return {
    '@level': 'info' as const,
    '@message': clusterAppliedMessage(r),
    '@timestamp': now.toISOString(),
    type: 'cluster_applied' as const,
    cluster: {
      name: r.name,
      files_written: r.filesWritten,
      authkey_written: r.authkeyWritten,
      started: r.started,
      formation_ms: r.formationMs ?? null,
      cib_changes: r.cib.map((c) => ({ address: c.address, action: c.action, drift: c.drift })),
    },
  };
}
