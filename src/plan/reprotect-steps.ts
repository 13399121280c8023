/**
 * Re-protection of a pair whose primary runs: optionally leave COLO and stop the broken secondary,
 * then fresh secondary images, a secondary QEMU and COLO started again (disk resync included); and
 * the whole pair started again.
 */
import type { VmSpec } from '../spec/types.ts';
import type { PlannedStep } from './plan-model.ts';
import type { Roles } from './roles.ts';

export interface ReprotectOptions {
  leaveColo: boolean;
  stopSecondary: boolean;
  reason: string;
  changes?: PlannedStep['changes'];
  commandLine?: PlannedStep['commandLine'];
}

export function reprotectSteps(vm: VmSpec, roles: Roles, opts: ReprotectOptions): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const n = vm.name;
  if (opts.leaveColo) {
    steps.push({
      address: `vm.${n}.primary`,
      action: 'update',
      kind: 'primary-leave-colo',
      vm: n,
      host: roles.primary,
      reason: `leave COLO on the primary so it runs alone: ${opts.reason}`,
      changes: [],
    });
  }
  if (opts.stopSecondary) {
    steps.push({
      address: `vm.${n}.secondary`,
      action: 'replace',
      kind: 'secondary-stop',
      vm: n,
      host: roles.secondary,
      reason: opts.reason,
      changes: opts.changes ?? [],
      ...(opts.commandLine ? { commandLine: opts.commandLine } : {}),
    });
  }
  steps.push(
    {
      address: `vm.${n}.secondary.images`,
      action: 'create',
      kind: 'secondary-images',
      vm: n,
      host: roles.secondary,
      reason: 'fresh base copy and active/hidden overlays for the secondary',
      changes: [],
    },
    {
      address: `vm.${n}.secondary.qemu`,
      action: 'create',
      kind: 'secondary-start',
      vm: n,
      host: roles.secondary,
      reason: 'secondary QEMU waiting for COLO migration, with its NBD exports',
      changes: [],
    },
    {
      address: `vm.${n}.colo`,
      action: 'create',
      kind: 'colo-start',
      vm: n,
      host: roles.primary,
      reason:
        `resync ${vm.disks.length} disk${vm.disks.length === 1 ? '' : 's'} over NBD, wire replication and ` +
        `the COLO proxy, start checkpointing`,
      changes: [],
    },
  );
  return steps;
}

/**
 * The pair started again: a leftover secondary stopped (when one runs), the primary started (the
 * guest boots alone), then the pair protected.
 */
export function startPairSteps(
  vm: VmSpec,
  roles: Roles,
  secondaryRuns: boolean,
  reasons: { secondaryStop: string; primaryStart: string },
): PlannedStep[] {
  const n = vm.name;
  const steps: PlannedStep[] = [];
  if (secondaryRuns) {
    steps.push({
      address: `vm.${n}.secondary`,
      action: 'delete',
      kind: 'secondary-stop',
      vm: n,
      host: roles.secondary,
      reason: reasons.secondaryStop,
      changes: [],
    });
  }
  steps.push({
    address: `vm.${n}.primary`,
    action: 'create',
    kind: 'primary-start',
    vm: n,
    host: roles.primary,
    reason: reasons.primaryStart,
    changes: [],
  });
  steps.push(...reprotectSteps(vm, roles, { leaveColo: false, stopSecondary: false, reason: '' }));
  return steps;
}
