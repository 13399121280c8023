/**
 * The `cluster:` section, on the resolved spec: fencing is mandatory (stonith-enabled stays on and
 * every host that runs a VM has a fence agent or a fence.command), the timings are ones corosync
 * and Pacemaker apply as written, and the quorum device runs on a host outside the pairs. In a
 * two-node partition without fencing both sides promote: two primaries, diverged disks.
 */
import { checkClusterAddresses } from './check-cluster-addresses.ts';
import type { CheckContext } from './check-context.ts';
import type { RawCluster } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import type { ClusterSettings } from './types.ts';
import { parseDuration } from './units.ts';

const NO_FENCING = 'in a two-node partition without fencing both sides promote (two primaries, diverged disks)';

export function checkCluster(ctx: CheckContext, cluster: ClusterSettings | undefined, r: Reporter): void {
  const raw = ctx.raw.cluster;
  if (!raw || !cluster) return;
  if (raw.stonithEnabled === false) {
    const at = ['cluster', 'stonithEnabled'];
    r.error(at, `${formatPath(at)}: colo refuses a cluster without fencing: ${NO_FENCING}; remove the key`);
  }
  checkDurations(raw, cluster, r);
  checkHostEntries(ctx, cluster, r);
  checkFencing(ctx, cluster, r);
  checkQdevice(ctx, cluster, r);
  checkClusterAddresses(ctx, cluster, r);
}

function duration(r: Reporter, at: SpecPath, v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const parsed = parseDuration(v);
  if (!parsed.ok) r.error(at, `${formatPath(at)}: ${parsed.error}`);
  return parsed.ok ? parsed.value : undefined;
}

function checkDurations(raw: RawCluster, c: ClusterSettings, r: Reporter): void {
  const token = duration(r, ['cluster', 'token'], raw.token);
  if (token === 0) r.error(['cluster', 'token'], 'cluster.token: must be more than 0ms');
  duration(r, ['cluster', 'knet', 'pingInterval'], raw.knet?.pingInterval);
  duration(r, ['cluster', 'knet', 'pingTimeout'], raw.knet?.pingTimeout);
  if (c.knetPingIntervalMs <= 0 || c.knetPingIntervalMs >= c.knetPingTimeoutMs) {
    const at = raw.knet?.pingInterval !== undefined ? ['cluster', 'knet', 'pingInterval'] : ['cluster', 'knet'];
    r.error(
      at,
      `cluster.knet: pingInterval (${c.knetPingIntervalMs}ms) must be more than 0 and below pingTimeout ` +
        `(${c.knetPingTimeoutMs}ms): knet declares a link down after pingTimeout without a pong`,
    );
  }
  const delayAt = ['cluster', 'priorityFencingDelay'];
  const delay = duration(r, delayAt, raw.priorityFencingDelay);
  if (delay !== undefined && delay % 1000 !== 0) {
    r.error(delayAt, `${formatPath(delayAt)}: Pacemaker applies this delay in whole seconds: write 1s, 2s, ...`);
  } else if (c.priorityFencingDelayMs < 1000 && c.qdevice === undefined) {
    r.error(
      delayAt,
      `${formatPath(delayAt)}: at least 1s without a qdevice, so that the host of the promoted side wins the ` +
        'fence race of a two-node partition (or add cluster.qdevice)',
    );
  }
}

function checkHostEntries(ctx: CheckContext, c: ClusterSettings, r: Reporter): void {
  for (const name of Object.keys(ctx.raw.cluster?.hosts ?? {})) {
    const at = ['cluster', 'hosts', name];
    if (ctx.hosts[name] === undefined) {
      r.error(at, `${formatPath(at)}: there is no host ${name} in hosts`, 'key');
    } else if (c.hosts[name] === undefined && c.qdevice?.host !== name) {
      r.error(at, `${formatPath(at)}: host ${name} runs no VM and is not the qdevice: it has no cluster`, 'key');
    }
  }
}

function checkFencing(ctx: CheckContext, c: ClusterSettings, r: Reporter): void {
  for (const host of Object.values(c.hosts)) {
    if (host.fencing.kind === 'agent' || ctx.hosts[host.name]?.fence !== undefined) continue;
    const at = ctx.raw.cluster?.hosts?.[host.name] !== undefined ? ['cluster', 'hosts', host.name] : ['cluster'];
    r.error(
      at,
      `host ${host.name} runs a VM but has no fencing: ${NO_FENCING}; set cluster.hosts.${host.name}.fencing ` +
        `(a fence agent, e.g. fence_ipmilan) or hosts.${host.name}.fence.command`,
      'key',
    );
  }
}

function checkQdevice(ctx: CheckContext, c: ClusterSettings, r: Reporter): void {
  if (!c.qdevice) return;
  const at = ['cluster', 'qdevice', 'host'];
  const name = c.qdevice.host;
  if (ctx.hosts[name] === undefined) {
    r.error(at, `${formatPath(at)}: there is no host ${name} in hosts`);
    return;
  }
  const vm = ctx.vms.find((v) => v.spec.primary === name || v.spec.secondary === name);
  if (vm) {
    r.error(
      at,
      `${formatPath(at)}: host ${name} runs VM ${vm.name}; the quorum device must be a third host outside the ` +
        'pairs, or the partition that holds it always wins, even when it is the one that lost its peer',
    );
  }
}
