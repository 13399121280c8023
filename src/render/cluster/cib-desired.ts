/**
 * The CIB colo wants for one cluster of the spec (src/spec/cluster-layout.ts), pure:
 *
 * - properties: stonith-enabled=true (the spec checks refuse a cluster without fencing), stonith-timeout
 *   (the longest fence timeout plus a margin), no-quorum-policy=freeze (a partition without quorum keeps
 *   what runs and starts nothing; the quorate side fences it before promoting), priority-fencing-delay
 *   (so the side running the promoted copy wins a fence race), dc-deadtime=2s (the 20 s default made a
 *   fresh cluster take 23 s to elect its DC) and cluster-recheck-interval;
 * - per VM pair a promotable clone `colo-<vm>-clone` of `ocf:colo:pair` (params vm, config), one
 *   promoted copy of two, notify on; kept off every cluster host that is not one of the pair's two;
 * - per host a stonith device `colo-fence-<host>`: fence_colo (the host's fence.command) or the
 *   user's fence agent with its params, never run on the host it fences.
 *
 * Until colo's OCF agent is installed by apply, the clones are written with target-role=Stopped
 * (clonesTargetRole below, the one switch the agent's work package flips).
 */
import type { ClusterLayout } from '../../spec/cluster-layout.ts';
import type { ClusterSettings, Spec } from '../../spec/types.ts';
import type { CibLocation, CibModel, CibPrimitive, CibResource } from './cib-model.ts';

/** Where apply copies the spec on every cluster host; the agent reads it (param `config`). */
export const CLUSTER_SPEC_PATH = '/etc/colo/colo.yaml';

/** The OCF agent of a pair (wp-agent installs /usr/lib/ocf/resource.d/colo/pair). */
export const PAIR_AGENT = { class: 'ocf', provider: 'colo', type: 'pair' } as const;

/**
 * target-role of every pair clone. `Stopped` while colo's OCF agent (ocf:colo:pair) is not installed
 * by apply: Pacemaker then neither probes-and-fails nor starts anything. Flip to `Started` (or drop
 * the meta attribute) once apply installs the agent.
 */
export function clonesTargetRole(): 'Stopped' | 'Started' {
  return 'Stopped';
}

const ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function id(s: string): string {
  if (!ID.test(s)) throw new Error(`internal: ${JSON.stringify(s)} is not a safe CIB id`);
  return s;
}

export const cloneId = (vm: string): string => id(`colo-${vm}-clone`);
export const pairId = (vm: string): string => id(`colo-${vm}`);
export const fenceId = (host: string): string => id(`colo-fence-${host}`);

const seconds = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

export function desiredProperties(spec: Spec, c: ClusterSettings, layout: ClusterLayout): Record<string, string> {
  const fenceMs = Math.max(0, ...layout.hosts.map((h) => spec.hosts[h]?.fence?.timeoutMs ?? 0));
  return {
    'cluster-recheck-interval': '1min',
    'dc-deadtime': '2s',
    'no-quorum-policy': 'freeze',
    'priority-fencing-delay': seconds(c.priorityFencingDelayMs),
    'stonith-enabled': 'true',
    'stonith-timeout': seconds(Math.max(fenceMs, 20_000) + 10_000),
  };
}

function pairPrimitive(vm: string): CibPrimitive {
  const p = pairId(vm);
  return {
    id: p,
    ...PAIR_AGENT,
    params: { config: CLUSTER_SPEC_PATH, vm },
    meta: { priority: '10' },
    ops: [
      { name: 'demote', interval: '0s', timeout: '60s' },
      { name: 'monitor', interval: '1s', timeout: '10s', role: 'Promoted' },
      { name: 'monitor', interval: '2s', timeout: '10s', role: 'Unpromoted' },
      { name: 'notify', interval: '0s', timeout: '120s' },
      { name: 'promote', interval: '0s', timeout: '60s' },
      { name: 'start', interval: '0s', timeout: '120s' },
      { name: 'stop', interval: '0s', timeout: '120s' },
    ],
  };
}

function pairClone(vm: string): CibResource {
  return {
    kind: 'clone',
    id: cloneId(vm),
    meta: {
      'clone-max': '2',
      'clone-node-max': '1',
      notify: 'true',
      'promoted-max': '1',
      'promoted-node-max': '1',
      promotable: 'true',
      'target-role': clonesTargetRole(),
    },
    primitive: pairPrimitive(vm),
  };
}

function fenceDevice(c: ClusterSettings, host: string): CibResource {
  const f = c.hosts[host]?.fencing ?? { kind: 'fence-command' };
  const agent = f.kind === 'agent' ? f.agent : 'fence_colo';
  const params = f.kind === 'agent' ? { ...f.params } : {};
  params['pcmk_host_list'] ??= host;
  return {
    kind: 'primitive',
    id: fenceId(host),
    class: 'stonith',
    type: agent,
    params,
    meta: {},
    ops: [{ name: 'monitor', interval: '30s', timeout: '20s' }],
  };
}

function constraints(layout: ClusterLayout): CibLocation[] {
  const out: CibLocation[] = layout.hosts.map((h) => ({
    id: id(`${fenceId(h)}-not-on-${h}`),
    rsc: fenceId(h),
    node: h,
    score: '-INFINITY',
  }));
  for (const p of layout.pairs) {
    for (const h of layout.hosts) {
      if (h === p.primary || h === p.secondary) continue;
      out.push({ id: id(`${cloneId(p.vm)}-not-on-${h}`), rsc: cloneId(p.vm), node: h, score: '-INFINITY' });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The desired CIB of one cluster. */
export function desiredCib(spec: Spec, layout: ClusterLayout): CibModel {
  const c = spec.cluster;
  if (!c) throw new Error('internal: desiredCib without a cluster: section');
  const resources = [...layout.pairs.map((p) => pairClone(p.vm)), ...layout.hosts.map((h) => fenceDevice(c, h))];
  return {
    properties: desiredProperties(spec, c, layout),
    resources: resources.sort((a, b) => (a.id < b.id ? -1 : 1)),
    constraints: constraints(layout),
  };
}
