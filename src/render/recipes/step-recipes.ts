/**
 * The recipes of each step of apply, leave-COLO, failover and destroy, for one VM and placement:
 * what the engine's steps run and what `colo render` shows (vm-recipes.ts).
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import { renderPrimaryArgv, renderSecondaryArgv, type ArgvOptions } from '../argv.ts';
import type { Placement } from '../placement.ts';
import { renderPromoteSecondary } from './failover-secondary.ts';
import { renderSurvivorVerify } from './failover-verify.ts';
import { renderAnnounce } from './announce.ts';
import { renderQemuRunningCheck, renderQemuStart, renderQemuStop } from './qemu-process.ts';
import { renderSecondaryPrepareRecipe } from './secondary-prepare.ts';
import { renderPrimaryTeardown } from './teardown.ts';
import type { QmpRecipe, ScriptRecipe } from './types.ts';
import { renderYank } from './yank.ts';

export interface QemuStartRecipes {
  argv: string[];
  start: ScriptRecipe;
  /** After the start: the primary must run; the secondary is prepared. */
  then: QmpRecipe;
}

/** The primary started with the primary argv, running alone (the guest boots before COLO starts). */
export function renderPrimaryStart(spec: Spec, vm: VmSpec, p: Placement, o: ArgvOptions): QemuStartRecipes {
  const placement = { ...p, primaryPromoted: false, primaryHasProxyChardevs: true };
  const argv = renderPrimaryArgv(spec, vm, placement, o);
  return {
    argv,
    start: renderQemuStart(spec, vm, p.primary, 'primary', argv),
    then: renderQemuRunningCheck(vm, p.primary, 'primary', {
      before: `primary QEMU of ${vm.name} on ${p.primary} is `,
      after: ', not running',
    }),
  };
}

/** The secondary started with -incoming, then prepared (x-colo where needed, NBD server and exports). */
export function renderSecondaryStart(spec: Spec, vm: VmSpec, p: Placement, o: ArgvOptions): QemuStartRecipes {
  const argv = renderSecondaryArgv(spec, vm, p, o);
  return {
    argv,
    start: renderQemuStart(spec, vm, p.secondary, 'secondary', argv),
    then: renderSecondaryPrepareRecipe(spec, vm, p, o.dialect),
  };
}

export interface LeaveColoRecipes {
  teardown: QmpRecipe;
  running: QmpRecipe;
}

/** The primary leaves COLO and runs alone (its secondary is gone or broken). */
export function renderLeaveColo(spec: Spec, vm: VmSpec, p: Placement): LeaveColoRecipes {
  return {
    teardown: renderPrimaryTeardown(spec, vm, p, { resetPeerSockets: true }),
    running: renderQemuRunningCheck(vm, p.primary, 'primary', {
      before: `the primary of ${vm.name} on ${p.primary} is `,
      after: ' after leaving COLO, not running',
    }),
  };
}

/**
 * Grace seconds before SIGKILL: a failover fences fast, a hung QEMU (stopped, or stuck on a lost
 * peer: its SIGTERM handler cannot run) at once; destroy lets QEMU exit cleanly.
 */
export const STOP_GRACE_SECONDS = { failover: 1, hung: 0, secondary: 3, primary: 5 } as const;

export interface FailoverRecipes {
  /** The other side fenced: its QEMU stopped over SSH (when its host answers). */
  fence: ScriptRecipe;
  /** The survivor freed from its lost peer (out-of-band yank of what connects it), before it is promoted. */
  yank: QmpRecipe;
  /** The survivor's QMP sequence. */
  promote: QmpRecipe;
  /** Then: the survivor announces its NICs (absent with `failover.announce: false`). */
  announce?: QmpRecipe;
  /** Then: the survivor runs alone. */
  verify: QmpRecipe;
}

/** The failover's recipes with its announcement, when the spec has one. */
function withAnnounce(vm: VmSpec, host: string, role: 'primary' | 'secondary', r: FailoverRecipes): FailoverRecipes {
  const announce = renderAnnounce(vm, host, role);
  return announce === undefined ? r : { ...r, announce };
}

export function renderFailoverToSecondary(spec: Spec, vm: VmSpec, p: Placement): FailoverRecipes {
  return withAnnounce(vm, p.secondary, 'secondary', {
    fence: renderQemuStop(spec, vm, p.primary, STOP_GRACE_SECONDS.failover),
    yank: renderYank(vm, p.secondary, 'secondary'),
    promote: renderPromoteSecondary(vm, p.secondary),
    verify: renderSurvivorVerify(vm, p.secondary, 'secondary'),
  });
}

export function renderFailoverToPrimary(spec: Spec, vm: VmSpec, p: Placement): FailoverRecipes {
  return withAnnounce(vm, p.primary, 'primary', {
    fence: renderQemuStop(spec, vm, p.secondary, STOP_GRACE_SECONDS.failover),
    yank: renderYank(vm, p.primary, 'primary'),
    promote: renderPrimaryTeardown(spec, vm, p, { resetPeerSockets: true }),
    verify: renderSurvivorVerify(vm, p.primary, 'primary'),
  });
}
