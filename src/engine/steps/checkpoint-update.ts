/** Checkpoint interval and compare tuning changed in place on the running primary: no restart. */
import { renderCheckpointUpdate } from '../../render/qmp-sequences.ts';
import type { StepContext } from './run-step.ts';
import { appliedCheckpointOf, placementOf, runPhases, stepVm } from './step-helpers.ts';

export async function checkpointUpdate(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const qmp = await ctx.session.qmp(p.primary, vm.name);
  await runPhases(qmp, renderCheckpointUpdate(vm), { progress: ctx.progress });
  const params = await qmp.execute<Record<string, unknown>>('query-migrate-parameters');
  if (params['x-checkpoint-delay'] !== vm.checkpoint.intervalMs) {
    throw new Error(
      `x-checkpoint-delay is ${String(params['x-checkpoint-delay'])} after the update, expected ` +
        `${vm.checkpoint.intervalMs}`,
    );
  }
  await ctx.updateVm(
    vm.name,
    (prev) => (prev ? { ...prev, appliedCheckpoint: appliedCheckpointOf(vm) } : prev) as typeof prev,
  );
  return `x-checkpoint-delay ${vm.checkpoint.intervalMs} ms`;
}
