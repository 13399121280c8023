/**
 * The secondary's images: an empty base of the primary disk's virtual size (filled by the NBD
 * mirror) and fresh active/hidden overlays. The size is read from the running primary over QMP.
 */
import { renderDiskSizes, renderSecondaryImagePrep, secondaryImageFiles } from '../../render/recipes/images.ts';
import { diskSizesFromFacts } from '../../plan/recipe-replies.ts';
import { imagesCreated } from '../../plan/state-transitions.ts';
import { runQmpRecipe } from '../run-recipe.ts';
import { runScriptRecipe } from '../run-recipe-script.ts';
import type { StepContext } from './step-context.ts';
import { placementOf, stepVm } from './step-helpers.ts';

export async function secondaryImages(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const qmp = await ctx.session.qmp(p.primary, vm.name);
  const { facts } = await runQmpRecipe(renderDiskSizes(vm, p), { primary: qmp });
  await runScriptRecipe(ctx.session.transport(p.secondary), renderSecondaryImagePrep(ctx.spec, vm, p), facts);
  const files = secondaryImageFiles(ctx.spec, vm, p.secondary);
  await ctx.updateVm(vm.name, (prev) => imagesCreated(prev, p.secondary, files));
  const sizes = diskSizesFromFacts(vm, facts).map((s) => `${Math.round(s / 1048576)} MiB`);
  return `${vm.disks.length} disk${vm.disks.length === 1 ? '' : 's'}, ${sizes.join(', ')}`;
}
