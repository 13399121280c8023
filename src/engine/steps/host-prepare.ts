/** The host's work directory, private to the user colo runs as (QMP sockets live below it). */
import { renderHostPrepare } from '../../render/recipes/host-files.ts';
import { runScriptRecipe } from '../run-recipe-script.ts';
import type { StepContext } from './step-context.ts';

export async function hostPrepare(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.spec.hosts[ctx.step.host ?? ''];
  if (!host) throw new Error(`${ctx.step.address}: host ${ctx.step.host} is not in the spec`);
  await runScriptRecipe(ctx.session.transport(host.name), renderHostPrepare(ctx.spec, host.name));
  return host.workDir;
}
