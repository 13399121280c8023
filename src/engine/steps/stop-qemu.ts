/**
 * Stopping a VM's QEMU on a host (src/render/recipes/qemu-process.ts): SIGTERM, wait, then SIGKILL,
 * and confirm it is gone. Idempotent: nothing running is success.
 */
import type { VmSpec } from '../../spec/types.ts';
import { renderQemuStop } from '../../render/recipes/qemu-process.ts';
import { STOP_GRACE_SECONDS } from '../../render/recipes/step-recipes.ts';
import { primaryStopped, secondaryStopped } from '../../plan/state-transitions.ts';
import type { Session } from '../session.ts';
import { runScriptRecipe } from '../run-recipe-script.ts';
import type { StepContext } from './step-context.ts';

/** `vm` may be a VM only the state knows (removed from the spec). */
export async function stopVmQemu(
  session: Session,
  vm: VmSpec | { name: string },
  host: string,
  graceSeconds: number = STOP_GRACE_SECONDS.secondary,
): Promise<void> {
  session.dropQmp(host, vm.name);
  await runScriptRecipe(session.transport(host), renderQemuStop(session.spec, vm, host, graceSeconds));
}

function vmForStop(ctx: StepContext): VmSpec | { name: string } {
  const vm = ctx.spec.vms.find((v) => v.name === ctx.step.vm);
  if (vm) return vm;
  // A VM only the state knows (removed from the spec): its files follow the same layout.
  if (!ctx.spec.hosts[ctx.step.host ?? '']) {
    throw new Error(`${ctx.step.address}: host ${ctx.step.host} is not in the spec`);
  }
  return { name: ctx.step.vm ?? '' };
}

export async function stopSecondary(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.step.host!;
  await stopVmQemu(ctx.session, vmForStop(ctx), host, STOP_GRACE_SECONDS.secondary);
  await ctx.updateVm(ctx.step.vm!, (prev) => secondaryStopped(prev, host));
  return 'stopped';
}

export async function stopPrimary(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.step.host!;
  await stopVmQemu(ctx.session, vmForStop(ctx), host, STOP_GRACE_SECONDS.primary);
  await ctx.updateVm(ctx.step.vm!, (prev) => primaryStopped(prev, host));
  return 'stopped';
}
