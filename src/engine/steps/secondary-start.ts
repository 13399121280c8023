/** Start the secondary QEMU (-incoming) and prepare it: x-colo where needed, NBD server and exports. */
import { renderSecondaryStart } from '../../render/recipes/step-recipes.ts';
import { secondaryStarted } from '../../plan/state-transitions.ts';
import { runQmpRecipe } from '../run-recipe.ts';
import type { StepContext } from './step-context.ts';
import { argvHash, argvOptions, placementOf, stepVm } from './step-helpers.ts';
import { startVmQemu } from './start-qemu.ts';

export async function secondaryStart(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const r = renderSecondaryStart(ctx.spec, vm, p, argvOptions(ctx, p.secondary));
  const { pid, qmp } = await startVmQemu(ctx.session, vm, r.start);
  await runQmpRecipe(r.then, { secondary: qmp }, { progress: ctx.progress });
  const at = ctx.now().toISOString();
  await ctx.updateVm(vm.name, (prev) =>
    secondaryStarted(prev, p.secondary, { role: 'secondary', argvHash: argvHash(r.argv), pid, at }),
  );
  return `pid ${pid}`;
}
