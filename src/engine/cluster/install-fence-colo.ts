/**
 * Installing fence_colo on a cluster host (src/render/cluster/fence-colo.ts): per other host of its
 * cluster, that host's fence.command and timeout and its fence.envFile's variables, read and parsed
 * on this machine exactly as the manual path does (src/engine/fence-env.ts), then the agent, the
 * host's own name and the configs written through the host's Transport (writeFile: the secrets go
 * over stdin, never in an argv). Called by apply for hosts fenced by `fence-command`.
 */
import type { Spec } from '../../spec/types.ts';
import { FENCE_COLO_DIRS, renderFenceColoInstall, type FenceTarget } from '../../render/cluster/fence-colo.ts';
import { checkedRun, type Transport } from '../../transport/types.ts';
import { readFenceEnv } from '../fence-env.ts';

/** The fence targets among `hosts` (those fenced by their fence.command), env files read. */
export async function fenceColoTargets(spec: Spec, hosts: readonly string[]): Promise<FenceTarget[]> {
  const out: FenceTarget[] = [];
  for (const h of hosts) {
    if (spec.cluster?.hosts[h]?.fencing.kind === 'agent') continue;
    const fence = spec.hosts[h]?.fence;
    if (!fence) continue; // the spec checks refuse a cluster host without any fencing
    const env = fence.envFile !== undefined ? await readFenceEnv(fence.envFile) : undefined;
    out.push({ host: h, command: fence.command, timeoutMs: fence.timeoutMs, ...(env ? { env } : {}) });
  }
  return out;
}

/** Writes fence_colo and its configs on host `self`; throws (the Transport's error) when a write fails. */
export async function installFenceColo(t: Transport, self: string, targets: readonly FenceTarget[]): Promise<number> {
  await checkedRun(t, ['mkdir', '-p', ...FENCE_COLO_DIRS], { timeoutMs: 15_000 });
  const files = renderFenceColoInstall(self, targets);
  for (const f of files) await t.writeFile(f.path, f.text, { mode: f.mode, timeoutMs: 15_000 });
  return files.length;
}
