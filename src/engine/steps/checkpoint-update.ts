/** Checkpoint interval and compare tuning changed in place on the running primary: no restart. */
import { renderCheckpointUpdateRecipe } from '../../render/recipes/checkpoint-update.ts';
import { appliedCheckpointOf, checkpointApplied } from '../../plan/state-transitions.ts';
import { runQmpRecipe } from '../run-recipe.ts';
import type { StepContext } from './step-context.ts';
import { placementOf, stepVm } from './step-helpers.ts';

export async function checkpointUpdate(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const qmp = await ctx.session.qmp(p.primary, vm.name);
  await runQmpRecipe(renderCheckpointUpdateRecipe(vm, p.primary), { primary: qmp }, { progress: ctx.progress });
  await ctx.updateVm(vm.name, (prev) => checkpointApplied(prev, appliedCheckpointOf(vm)));
  return `x-checkpoint-delay ${vm.checkpoint.intervalMs} ms`;
}
