/**
 * Tolerant teardown of everything COLO adds to a primary at switchover (replication children, NBD
 * nodes, mirror jobs, proxy objects) and leaving COLO. Used to leave COLO when the secondary is gone
 * (failover to the primary) and before a new switchover, so a re-run after a failed apply converges.
 */
import type { VmSpec } from '../../spec/types.ts';
import { diskIds, nicIds } from '../../render/ids.ts';
import type { QmpClient } from '../../qmp/client.ts';
import { QmpError } from '../../qmp/types.ts';
import type { Spec } from '../../spec/types.ts';
import type { Placement } from '../../render/placement.ts';
import { renderProxyChardevAdds } from '../../render/qmp-sequences.ts';

export interface CleanupReport {
  leftColo: boolean;
  removed: string[];
}

async function tryExec(qmp: QmpClient, cmd: string, args?: Record<string, unknown>): Promise<boolean> {
  try {
    await qmp.execute(cmd, args, { timeoutMs: 15_000 });
    return true;
  } catch (err) {
    if (err instanceof QmpError) return false;
    throw err;
  }
}

export interface CleanupOptions {
  /** Leave COLO (x-colo-lost-heartbeat) when the primary is still in it. */
  leaveColo: boolean;
  /**
   * Recreate the TCP proxy servers the secondary connects to (mirror, compare). When a secondary
   * dies, the primary's listening chardev keeps its dead connection (nothing reads it once the
   * filters are gone), and a new secondary's connection would wait behind it: mirrored packets
   * are then lost and the first requests stall. Not during a switchover (the new secondary is
   * already connected then).
   */
  resetPeerSockets?: { spec: Spec; placement: Placement };
}

export async function cleanupPrimaryColo(qmp: QmpClient, vm: VmSpec, opts: CleanupOptions): Promise<CleanupReport> {
  const removed: string[] = [];
  const [jobs, graph, objects] = await qmp.executeAll<
    [{ device: string }[], { nodes: { name: string }[] }, { name: string }[]]
  >([
    { execute: 'query-block-jobs' },
    { execute: 'x-debug-query-block-graph' },
    { execute: 'qom-list', arguments: { path: '/objects' } },
  ]);
  const nodeNames = new Set(graph.nodes.map((n) => n.name));
  const objectNames = new Set(objects.map((o) => o.name));
  // Replication children and NBD nodes first, as in QEMU's documented primary failover.
  for (const d of vm.disks) {
    const ids = diskIds(d);
    if (jobs.some((j) => j.device === ids.mirrorJob)) {
      const since = qmp.eventSeq;
      if (await tryExec(qmp, 'block-job-cancel', { device: ids.mirrorJob, force: true })) {
        await Promise.any([
          qmp.waitForEvent('BLOCK_JOB_CANCELLED', (e) => e.data?.device === ids.mirrorJob, {
            since,
            timeoutMs: 15_000,
          }),
          qmp.waitForEvent('BLOCK_JOB_COMPLETED', (e) => e.data?.device === ids.mirrorJob, {
            since,
            timeoutMs: 15_000,
          }),
        ]).catch(() => undefined);
        await tryExec(qmp, 'block-job-dismiss', { id: ids.mirrorJob });
        removed.push(ids.mirrorJob);
      }
    }
    if (nodeNames.has(ids.replication)) {
      // Only children.1 can be the replication child (children.0 is the disk itself). The drive name
      // (not the node name): mirror jobs are cancelled above, so it resolves to the quorum, also in
      // a QEMU started before colo named the quorum node.
      await tryExec(qmp, 'x-blockdev-change', { parent: ids.quorum, child: 'children.1' });
      if (await tryExec(qmp, 'blockdev-del', { 'node-name': ids.replication })) removed.push(ids.replication);
    }
    for (const node of [ids.nbd, ids.mirrorTarget]) {
      if (nodeNames.has(node) && (await tryExec(qmp, 'blockdev-del', { 'node-name': node }))) removed.push(node);
    }
  }
  // Then the proxy (QEMU's docs/COLO-FT.txt order: compare, iothread, mirror, redirectors).
  for (const n of vm.netdevs) {
    const ids = nicIds(n);
    for (const id of [ids.compare, ids.iothread, ids.filterMirror, ids.redirectorOut, ids.redirectorIn]) {
      if (objectNames.has(id) && (await tryExec(qmp, 'object-del', { id }))) removed.push(id);
    }
  }
  let leftColo = false;
  if (opts.leaveColo) {
    const colo = await qmp.execute<{ mode: string }>('query-colo-status').catch(() => ({ mode: 'none' }));
    if (colo.mode === 'primary') leftColo = await tryExec(qmp, 'x-colo-lost-heartbeat');
  }
  if (opts.resetPeerSockets) {
    const chardevs = new Set((await qmp.execute<{ label: string }[]>('query-chardev')).map((c) => c.label));
    const adds = renderProxyChardevAdds(opts.resetPeerSockets.spec, vm, opts.resetPeerSockets.placement);
    for (const n of vm.netdevs) {
      const ids = nicIds(n);
      for (const id of [ids.mirror, ids.compareIn]) {
        if (!chardevs.has(id)) continue;
        const add = adds.find((c) => c.arguments?.['id'] === id);
        if (add && (await tryExec(qmp, 'chardev-remove', { id })) && (await tryExec(qmp, add.execute, add.arguments)))
          removed.push(`${id} (re-created)`);
      }
    }
  }
  const status = await qmp.execute<{ status: string }>('query-status');
  if (status.status === 'paused' || status.status === 'colo') await tryExec(qmp, 'cont');
  return { leftColo, removed };
}
