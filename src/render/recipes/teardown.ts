/**
 * The teardown of a primary's COLO wiring: the resync mirror jobs, the replication children and
 * NBD nodes, the proxy objects (each only if present), leaving COLO (only if in it), and making
 * sure the guest runs. ONE recipe, used before a switchover (leftovers of an interrupted attempt),
 * when a switchover fails, by `primary-leave-colo` and by `failover --to primary`; the last two
 * also re-create the TCP proxy servers a dead secondary was connected to (`resetPeerSockets`).
 * Every command tolerates QMP errors: a re-run after a failed apply converges.
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import { diskIds, nicIds } from '../ids.ts';
import type { Placement } from '../placement.ts';
import { cmd, eq, has, query, ref, tryStep } from './build.ts';
import { renderProxyChardevAdds } from './proxy.ts';
import type { QmpOp, QmpRecipe, QmpStep } from './types.ts';

/** Time allowed for each teardown command and for a cancelled job's event. */
export const TEARDOWN_COMMAND_MS = 15_000;

export interface TeardownOptions {
  /**
   * Recreate the TCP proxy servers the secondary connects to (mirror, compare). When a secondary
   * dies, the primary's listening chardev keeps its dead connection (nothing reads it once the
   * filters are gone), and a new secondary's connection would wait behind it: mirrored packets
   * are then lost and the first requests stall. Not before a switchover (the new secondary is
   * already connected then).
   */
  resetPeerSockets: boolean;
}

const send = (s: QmpStep[]): QmpOp => ({ op: 'send', steps: s, timeoutMs: TEARDOWN_COMMAND_MS });

/** Per disk: the mirror job (cancelled, its end awaited, dismissed), the replication child, the NBD nodes. */
function diskOps(vm: VmSpec): QmpOp[] {
  return vm.disks.flatMap((d): QmpOp[] => {
    const ids = diskIds(d);
    const job = has('jobs', [], 'device', ids.mirrorJob);
    const cancelled = { succeeded: `cancel ${ids.mirrorJob}` };
    const node = (name: string) => has('graph', ['nodes'], 'name', name);
    return [
      { op: 'mark', as: `before cancel ${ids.mirrorJob}`, when: job },
      send([
        tryStep(cmd('block-job-cancel', { device: ids.mirrorJob, force: true }), job, {
          label: `cancel ${ids.mirrorJob}`,
          removes: ids.mirrorJob,
        }),
      ]),
      {
        op: 'wait-event',
        when: cancelled,
        events: ['BLOCK_JOB_CANCELLED', 'BLOCK_JOB_COMPLETED'],
        device: ids.mirrorJob,
        after: { mark: `before cancel ${ids.mirrorJob}` },
        timeoutMs: TEARDOWN_COMMAND_MS,
        optional: true,
      },
      send([
        tryStep(cmd('block-job-dismiss', { id: ids.mirrorJob }), cancelled),
        // Only children.1 can be the replication child (children.0 is the disk itself). The drive
        // name (not the node name): the mirror jobs are gone by now, so it resolves to the quorum,
        // also in a QEMU started before colo named the quorum node.
        tryStep(cmd('x-blockdev-change', { parent: ids.quorum, child: 'children.1' }), node(ids.replication)),
        tryStep(cmd('blockdev-del', { 'node-name': ids.replication }), node(ids.replication), {
          removes: ids.replication,
        }),
        ...[ids.nbd, ids.mirrorTarget].map((n) =>
          tryStep(cmd('blockdev-del', { 'node-name': n }), node(n), { removes: n }),
        ),
      ]),
    ];
  });
}

/** The proxy objects, in QEMU's docs/COLO-FT.txt order: compare, iothread, mirror, redirectors. */
function proxyOps(vm: VmSpec): QmpOp[] {
  const objects = vm.netdevs.flatMap((n) => {
    const ids = nicIds(n);
    return [ids.compare, ids.iothread, ids.filterMirror, ids.redirectorOut, ids.redirectorIn];
  });
  return [
    send(objects.map((id) => tryStep(cmd('object-del', { id }), has('objects', [], 'name', id), { removes: id }))),
  ];
}

function resetPeerSocketOps(spec: Spec, vm: VmSpec, placement: Placement): QmpOp[] {
  const adds = renderProxyChardevAdds(spec, vm, placement);
  const reset: QmpStep[] = vm.netdevs.flatMap((n) => {
    const ids = nicIds(n);
    return [ids.mirror, ids.compareIn].flatMap((id) => {
      const add = adds.find((c) => c.arguments?.['id'] === id)!;
      return [
        tryStep(cmd('chardev-remove', { id }), has('chardevs', [], 'label', id), { label: `remove ${id}` }),
        tryStep(add, { succeeded: `remove ${id}` }, { removes: `${id} (re-created)` }),
      ];
    });
  });
  return [{ op: 'query', queries: [query('chardevs', cmd('query-chardev'))] }, send(reset)];
}

export function renderPrimaryTeardown(spec: Spec, vm: VmSpec, placement: Placement, o: TeardownOptions): QmpRecipe {
  const status = ref('status', 'status');
  return {
    kind: 'qmp',
    name: o.resetPeerSockets ? 'primary-leave-colo' : 'primary-teardown',
    summary:
      "the primary's COLO wiring removed (each part only if present), COLO left, the guest running" +
      (o.resetPeerSockets ? "; the dead secondary's proxy sockets re-created" : ''),
    vm: vm.name,
    role: 'primary',
    hosts: { primary: placement.primary },
    ops: [
      {
        op: 'query',
        queries: [
          query('jobs', cmd('query-block-jobs')),
          query('graph', cmd('x-debug-query-block-graph')),
          query('objects', cmd('qom-list', { path: '/objects' })),
        ],
      },
      ...diskOps(vm),
      ...proxyOps(vm),
      { op: 'query', queries: [query('colo', cmd('query-colo-status'), { onError: { use: { mode: 'none' } } })] },
      send([tryStep(cmd('x-colo-lost-heartbeat'), eq(ref('colo', 'mode'), 'primary'), { label: 'leave COLO' })]),
      ...(o.resetPeerSockets ? resetPeerSocketOps(spec, vm, placement) : []),
      { op: 'query', queries: [query('status', cmd('query-status'))] },
      send([tryStep(cmd('cont'), { at: status, oneOf: ['paused', 'colo'] })]),
    ],
  };
}
