/** The primary leaves COLO and runs alone (its secondary is gone or broken): the pair is degraded. */
import type { StepContext } from './run-step.ts';
import { placementOf, stepVm } from './step-helpers.ts';
import { cleanupPrimaryColo } from './primary-cleanup.ts';

export async function primaryLeaveColo(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const qmp = await ctx.session.qmp(p.primary, vm.name);
  const r = await cleanupPrimaryColo(qmp, vm, { leaveColo: true, resetPeerSockets: { spec: ctx.spec, placement: p } });
  const status = (await qmp.execute<{ status: string }>('query-status')).status;
  if (status !== 'running')
    throw new Error(`the primary of ${vm.name} on ${p.primary} is ${status} after leaving COLO, not running`);
  await ctx.updateVm(vm.name, (prev) => (prev ? { ...prev, status: 'degraded' } : prev));
  return `${r.leftColo ? 'left COLO; ' : ''}removed ${r.removed.length} objects/nodes`;
}
