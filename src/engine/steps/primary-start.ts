/** Start the primary QEMU running alone: the guest boots before COLO starts (avoids the virtio flag bug). */
import { renderPrimaryArgv } from '../../render/argv.ts';
import type { StepContext } from './run-step.ts';
import { argvHash, argvOptions, emptyVmState, placementOf, stepVm } from './step-helpers.ts';
import { startVmQemu } from './start-qemu.ts';

export async function primaryStart(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = { ...placementOf(ctx, vm), primaryPromoted: false, primaryHasProxyChardevs: true };
  const argv = renderPrimaryArgv(ctx.spec, vm, p, argvOptions(ctx, p.primary));
  const { pid, qmp } = await startVmQemu(ctx.session, vm, p.primary, argv);
  const status = (await qmp.execute<{ status: string }>('query-status')).status;
  if (status !== 'running') throw new Error(`primary QEMU of ${vm.name} on ${p.primary} is ${status}, not running`);
  await ctx.updateVm(vm.name, (prev) => {
    const base = prev ?? emptyVmState(vm, p);
    return {
      ...base,
      primaryHost: p.primary,
      secondaryHost: p.secondary,
      primaryOrigin: 'primary',
      status: 'applying',
      started: {
        ...base.started,
        [p.primary]: { role: 'primary', argvHash: argvHash(argv), pid, at: ctx.now().toISOString() },
      },
    };
  });
  return `pid ${pid}`;
}
