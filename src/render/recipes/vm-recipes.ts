/**
 * Every recipe colo runs for one VM, grouped by what runs it: observation, apply (in step
 * order), leaving COLO, failover in both directions, re-protection after a failover to the
 * secondary, destroy. `colo render` prints exactly these objects; the engine's steps call the same
 * render functions with the placement and QEMU facts of the plan.
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import type { Dialect } from '../dialect.ts';
import { initialPlacement, placementAfterFailoverToSecondary, type Placement } from '../placement.ts';
import { renderCheckpointUpdateRecipe } from './checkpoint-update.ts';
import { renderColoStart } from './colo-start.ts';
import { renderFilesDelete, renderHostPrepare } from './host-files.ts';
import { renderDiskSizes, renderSecondaryImagePrep, secondaryImageFiles } from './images.ts';
import { renderHostObserve, renderObserveQmp } from './observe.ts';
import { renderQemuStop } from './qemu-process.ts';
import {
  renderFailoverToPrimary,
  renderFailoverToSecondary,
  renderLeaveColo,
  renderPrimaryStart,
  renderSecondaryStart,
  STOP_GRACE_SECONDS,
  type FailoverRecipes,
} from './step-recipes.ts';
import type { Recipe } from './types.ts';

/** What colo knows about the QEMU on one host. */
export interface HostQemu {
  dialect: Dialect;
  kvmAvailable: boolean;
}

export interface VmRecipesOptions {
  /** Per host name. */
  qemu: (hostName: string) => HostQemu;
  /** Default: the spec's initial placement. */
  placement?: Placement;
}

/** The recipes of one step (a plan step kind, or a part of failover), in the order they run. */
export interface StepRecipes {
  step: string;
  host: string;
  recipes: Recipe[];
}

export interface VmRecipes {
  vm: string;
  placement: Placement;
  /** Before every plan, apply, failover and destroy: one script per host, one QMP batch per live QEMU. */
  observe: StepRecipes[];
  apply: StepRecipes[];
  /** primary-leave-colo: the secondary is gone or broken, the primary runs alone. */
  leaveColo: StepRecipes;
  failoverToSecondary: StepRecipes[];
  failoverToPrimary: StepRecipes[];
  /** After a failover to the secondary, apply re-protects the promoted primary (after one to the primary: as apply). */
  reprotect: { placement: Placement; steps: StepRecipes[] };
  destroy: StepRecipes[];
}

/** Names of the spec's VMs that use a host, sorted. */
export function specVmsOnHost(spec: Spec, hostName: string): string[] {
  return spec.vms
    .filter((v) => v.primary === hostName || v.secondary === hostName)
    .map((v) => v.name)
    .sort();
}

/** secondary-images, secondary-start and colo-start: bringing a running primary into COLO. */
function protectSteps(spec: Spec, vm: VmSpec, p: Placement, o: VmRecipesOptions): StepRecipes[] {
  const secondary = renderSecondaryStart(spec, vm, p, o.qemu(p.secondary));
  const colo = renderColoStart(spec, vm, p);
  return [
    {
      step: 'secondary-images',
      host: p.secondary,
      recipes: [renderDiskSizes(vm, p), renderSecondaryImagePrep(spec, vm, p)],
    },
    { step: 'secondary-start', host: p.secondary, recipes: [secondary.start, secondary.then] },
    { step: 'colo-start', host: p.primary, recipes: [colo.teardown, colo.start] },
  ];
}

function applySteps(spec: Spec, vm: VmSpec, p: Placement, o: VmRecipesOptions): StepRecipes[] {
  const primary = renderPrimaryStart(spec, vm, p, o.qemu(p.primary));
  return [
    ...[p.primary, p.secondary].map((h) => ({ step: 'host-prepare', host: h, recipes: [renderHostPrepare(spec, h)] })),
    { step: 'primary-start', host: p.primary, recipes: [primary.start, primary.then] },
    ...protectSteps(spec, vm, p, o),
    { step: 'checkpoint-update', host: p.primary, recipes: [renderCheckpointUpdateRecipe(vm, p.primary)] },
  ];
}

function destroySteps(spec: Spec, vm: VmSpec, p: Placement): StepRecipes[] {
  return [
    {
      step: 'secondary-stop',
      host: p.secondary,
      recipes: [renderQemuStop(spec, vm, p.secondary, STOP_GRACE_SECONDS.secondary)],
    },
    {
      step: 'primary-stop',
      host: p.primary,
      recipes: [renderQemuStop(spec, vm, p.primary, STOP_GRACE_SECONDS.primary)],
    },
    {
      step: 'files-delete',
      host: p.secondary,
      recipes: [renderFilesDelete(spec, p.secondary, vm.name, secondaryImageFiles(spec, vm, p.secondary))],
    },
  ];
}

/** The promote step's recipes in the order the failover runs them: yank, promote, announce (if on), verify. */
function failoverPromoteRecipes(r: FailoverRecipes): Recipe[] {
  return [r.yank, r.promote, ...(r.announce ? [r.announce] : []), r.verify];
}

export function renderVmRecipes(spec: Spec, vm: VmSpec, o: VmRecipesOptions): VmRecipes {
  const p = o.placement ?? initialPlacement(vm);
  const leave = renderLeaveColo(spec, vm, p);
  const toSecondary = renderFailoverToSecondary(spec, vm, p);
  const toPrimary = renderFailoverToPrimary(spec, vm, p);
  const swapped = placementAfterFailoverToSecondary(p);
  return {
    vm: vm.name,
    placement: p,
    observe: [p.primary, p.secondary].map((h) => ({
      step: 'observe',
      host: h,
      recipes: [renderHostObserve(spec, h, specVmsOnHost(spec, h)), renderObserveQmp(vm, h)],
    })),
    apply: p.primaryPromoted ? protectSteps(spec, vm, p, o) : applySteps(spec, vm, p, o),
    leaveColo: { step: 'primary-leave-colo', host: p.primary, recipes: [leave.teardown, leave.running] },
    failoverToSecondary: [
      { step: 'fence', host: p.primary, recipes: [toSecondary.fence] },
      { step: 'promote', host: p.secondary, recipes: failoverPromoteRecipes(toSecondary) },
    ],
    failoverToPrimary: [
      { step: 'fence', host: p.secondary, recipes: [toPrimary.fence] },
      { step: 'promote', host: p.primary, recipes: failoverPromoteRecipes(toPrimary) },
    ],
    reprotect: { placement: swapped, steps: protectSteps(spec, vm, swapped, o) },
    destroy: destroySteps(spec, vm, p),
  };
}
