/**
 * Bring a pair into COLO (also re-protection): the teardown recipe clears leftovers of an
 * interrupted earlier attempt, then the colo-start recipe (src/render/recipes/colo-start.ts) runs
 * the resync, the live switchover and the checks. The pair is protected once it returned.
 */
import type { VmSpec } from '../../spec/types.ts';
import type { QmpClient } from '../../qmp/client.ts';
import { renderColoStart } from '../../render/recipes/colo-start.ts';
import { matchedItems } from '../../render/recipes/evaluate.ts';
import { renderVirtioStatus, virtioDisabledCheck } from '../../render/recipes/colo-checks.ts';
import { switchoverPauseMs } from '../../plan/recipe-replies.ts';
import { appliedCheckpointOf, protectedWith } from '../../plan/state-transitions.ts';
import { runQmpRecipe, type RecipeResult } from '../run-recipe.ts';
import type { StepContext } from './step-context.ts';
import { placementOf, stepVm } from './step-helpers.ts';

/** The QEMU's virtio devices whose `disabled` flag is set. */
export async function disabledVirtioDevices(qmp: QmpClient, vm: VmSpec): Promise<string[]> {
  const r = await runQmpRecipe(renderVirtioStatus(vm), { either: qmp });
  return matchedItems(virtioDisabledCheck(vm, 'virtio', []), r);
}

function detail(r: RecipeResult): string {
  const pause = switchoverPauseMs(r.events['stop'], r.events['resume']);
  return (
    `in COLO; mirror ${r.timings['mirror-start']} ms, live RAM copy ${r.timings['live']} ms ` +
    `(wiring ${r.timings['switchover-wire'] ?? '?'} ms), switchover pause ${pause ?? '?'} ms`
  );
}

export async function coloStart(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const pq = await ctx.session.qmp(p.primary, vm.name);
  const sq = await ctx.session.qmp(p.secondary, vm.name);
  const recipes = renderColoStart(ctx.spec, vm, p);

  // Leftovers of an interrupted earlier attempt would make the sequence fail: clear them first.
  const pre = await runQmpRecipe(recipes.teardown, { primary: pq });
  if (pre.removed.length > 0) ctx.progress(`cleared leftovers of an earlier attempt: ${pre.removed.join(', ')}`);

  const run = await runQmpRecipe(recipes.start, { primary: pq, secondary: sq }, { progress: ctx.progress });
  await ctx.updateVm(vm.name, (prev) => protectedWith(prev, appliedCheckpointOf(vm)));
  return detail(run);
}
