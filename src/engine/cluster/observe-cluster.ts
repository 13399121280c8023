/**
 * Reads one cluster host's cluster state with the observe script (src/render/cluster/observe-script.ts),
 * one run over its existing connection; an unreachable host or a failed script is an `error`, not a throw.
 */
import { clusterObserveArgv } from '../../render/cluster/observe-script.ts';
import { parseClusterObserve, type ClusterHostObserved } from '../../plan/cluster-observed.ts';
import type { Transport } from '../../transport/types.ts';
import { AUTHKEY_PATH } from '../../plan/cluster-plan.ts';

export async function observeClusterHost(
  t: Transport,
  services: 'systemd' | 'direct',
  files: readonly string[],
): Promise<ClusterHostObserved> {
  try {
    const r = await t.run(clusterObserveArgv(services, [AUTHKEY_PATH, ...files]), { timeoutMs: 60_000 });
    const o = parseClusterObserve(t.host, r.stdout);
    if (o.error !== undefined)
      o.error += ` (exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')})`;
    return o;
  } catch (e) {
    return {
      host: t.host,
      error: (e as Error).message,
      dpkg: '',
      files: {},
      corosync: 'unknown',
      pacemakerd: 'unknown',
    };
  }
}
