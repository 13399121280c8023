/**
 * On the secondary (placement.secondary), after it started with -incoming and before the primary's
 * mirror: x-colo (8.1+), the NBD server on its replication address, one writable export per disk.
 */
import type { QmpCommand } from '../qmp-command.ts';
import type { Spec, VmSpec } from '../../spec/types.ts';
import type { Dialect } from '../dialect.ts';
import { diskIds } from '../ids.ts';
import { hostOf } from '../paths.ts';
import type { Placement } from '../placement.ts';
import { cmd } from './build.ts';
import { tlsArg } from '../tls.ts';
import { sendPhase, type QmpPhase } from './phase.ts';
import { X_COLO_ON } from './switchover.ts';
import type { QmpRecipe } from './types.ts';

export function renderSecondaryPrepare(spec: Spec, vm: VmSpec, placement: Placement, dialect: Dialect): QmpPhase[] {
  const host = hostOf(spec, placement.secondary);
  const commands: QmpCommand[] = [];
  if (dialect.secondaryNeedsXColo) commands.push(X_COLO_ON);
  commands.push(
    cmd('nbd-server-start', {
      addr: { type: 'inet', data: { host: host.replicationAddress, port: String(vm.ports.nbd) } },
      ...tlsArg(vm, 'server'),
    }),
  );
  for (const disk of vm.disks) {
    const ids = diskIds(disk);
    commands.push(cmd('nbd-server-add', { device: ids.parent, name: ids.exportName, writable: true }));
  }
  return [{ name: 'secondary-prepare', commands }];
}

export function renderSecondaryPrepareRecipe(
  spec: Spec,
  vm: VmSpec,
  placement: Placement,
  dialect: Dialect,
): QmpRecipe {
  return {
    kind: 'qmp',
    name: 'secondary-prepare',
    summary: 'x-colo where the QEMU needs it, the NBD server and one writable export per disk',
    vm: vm.name,
    role: 'secondary',
    hosts: { secondary: placement.secondary },
    ops: renderSecondaryPrepare(spec, vm, placement, dialect).map((p) => sendPhase(p)),
  };
}
