/**
 * On the primary, once every mirror job is READY, with the guest running: x-colo and the migration
 * parameters, the replication children (their own NBD client nodes), the proxy (chardevs first on a
 * promoted primary that lacks them), then migrate. The colo-start recipe then polls query-migrate
 * for "colo" and ends the resync (resync-finish.ts).
 */
import type { QmpCommand } from '../qmp-command.ts';
import type { CheckpointPolicy, Spec, VmSpec } from '../../spec/types.ts';
import { diskIds } from '../ids.ts';
import { hostOf } from '../paths.ts';
import type { Placement } from '../placement.ts';
import { hostPort } from '../qemu-syntax.ts';
import { cmd } from './build.ts';
import { nbdClient } from './mirror-start.ts';
import type { QmpPhase } from './phase.ts';
import { renderProxyChardevAdds, renderProxyObjectAdds } from './proxy.ts';
import { tlsArg } from '../tls.ts';

export const X_COLO_ON = cmd('migrate-set-capabilities', { capabilities: [{ capability: 'x-colo', state: true }] });

/** The replication children: per disk an NBD client node, a replication node on it, added to the quorum. */
export function renderReplicationAdds(spec: Spec, vm: VmSpec, placement: Placement): QmpCommand[] {
  return vm.disks.flatMap((disk) => {
    const ids = diskIds(disk);
    return [
      nbdClient(spec, vm, placement, ids.nbd, ids.exportName),
      cmd('blockdev-add', { driver: 'replication', 'node-name': ids.replication, mode: 'primary', file: ids.nbd }),
      cmd('x-blockdev-change', { parent: ids.quorumNode, node: ids.replication }),
    ];
  });
}

export function renderSwitchover(spec: Spec, vm: VmSpec, placement: Placement): QmpPhase[] {
  const proxy: QmpCommand[] = [];
  if (!placement.primaryHasProxyChardevs) proxy.push(...renderProxyChardevAdds(spec, vm, placement));
  proxy.push(...renderProxyObjectAdds(vm, placement));
  return [
    { name: 'switchover-prepare', commands: [X_COLO_ON, switchoverParameters(vm)] },
    { name: 'switchover-wire', commands: [...renderReplicationAdds(spec, vm, placement), ...proxy], pipelined: true },
    { name: 'switchover-migrate', commands: [renderMigrate(spec, vm, placement)] },
  ];
}

export function renderMigrate(spec: Spec, vm: VmSpec, placement: Placement): QmpCommand {
  const secondary = hostOf(spec, placement.secondary);
  return cmd('migrate', { uri: `tcp:${hostPort(secondary.replicationAddress, vm.ports.migration)}` });
}

/** The checkpoint policy's migration parameters, and on a TLS pair the client credentials of the migration. */
function switchoverParameters(vm: VmSpec): QmpCommand {
  const c: CheckpointPolicy = vm.checkpoint;
  return cmd('migrate-set-parameters', {
    'x-checkpoint-delay': c.intervalMs,
    'max-bandwidth': c.maxBandwidthBytes,
    'downtime-limit': c.switchoverDowntimeMs,
    ...tlsArg(vm, 'client'),
  });
}
