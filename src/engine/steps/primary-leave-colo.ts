/** The primary leaves COLO and runs alone (its secondary is gone or broken): the pair is degraded. */
import { renderLeaveColo } from '../../render/recipes/step-recipes.ts';
import { leftColo } from '../../plan/state-transitions.ts';
import { runQmpRecipe } from '../run-recipe.ts';
import type { StepContext } from './step-context.ts';
import { placementOf, stepVm } from './step-helpers.ts';

export async function primaryLeaveColo(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const qmp = await ctx.session.qmp(p.primary, vm.name);
  const recipes = renderLeaveColo(ctx.spec, vm, p);
  const r = await runQmpRecipe(recipes.teardown, { primary: qmp });
  await runQmpRecipe(recipes.running, { primary: qmp });
  await ctx.updateVm(vm.name, leftColo);
  return `${r.succeeded['leave COLO'] ? 'left COLO; ' : ''}removed ${r.removed.length} objects/nodes`;
}
