/** Start the primary QEMU running alone: the guest boots before COLO starts (avoids the virtio flag bug). */
import { renderPrimaryStart } from '../../render/recipes/step-recipes.ts';
import { primaryStarted } from '../../plan/state-transitions.ts';
import { runQmpRecipe } from '../run-recipe.ts';
import type { StepContext } from './step-context.ts';
import { argvHash, argvOptions, placementOf, stepVm } from './step-helpers.ts';
import { startVmQemu } from './start-qemu.ts';

export async function primaryStart(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const r = renderPrimaryStart(ctx.spec, vm, p, argvOptions(ctx, p.primary));
  const { pid, qmp } = await startVmQemu(ctx.session, vm, r.start);
  await runQmpRecipe(r.then, { primary: qmp });
  const at = ctx.now().toISOString();
  await ctx.updateVm(vm.name, (prev) =>
    primaryStarted(prev, p, { role: 'primary', argvHash: argvHash(r.argv), pid, at }),
  );
  return `pid ${pid}`;
}
