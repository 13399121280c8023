/**
 * Remove the files colo created for a VM on a host (never the user's images). A promoted primary's
 * base copy holds the VM's disk since the failover: it is kept, and the step says where.
 */
import { renderFilesDelete } from '../../render/recipes/host-files.ts';
import { filesKept, forgetCreated } from '../../plan/state-transitions.ts';
import { runScriptRecipe } from '../run-recipe-script.ts';
import type { StepContext } from './step-context.ts';

export async function filesDelete(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.step.host!;
  const vmName = ctx.step.vm!;
  const vs = ctx.state().vms[vmName];
  const keep = filesKept(vs, host);
  const remove = (vs?.created[host] ?? []).filter((f) => !keep.includes(f));
  if (remove.length > 0)
    await runScriptRecipe(ctx.session.transport(host), renderFilesDelete(ctx.spec, host, vmName, remove));
  await ctx.updateVm(vmName, (prev) => (prev ? forgetCreated(prev, host, remove) : prev));
  return keep.length > 0
    ? `removed ${remove.length}; kept ${keep.join(', ')} (the VM's disk since its failover)`
    : `removed ${remove.length}`;
}
