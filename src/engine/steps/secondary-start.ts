/** Start the secondary QEMU (-incoming) and prepare it: x-colo where needed, NBD server and exports. */
import { renderSecondaryArgv } from '../../render/argv.ts';
import { renderSecondaryPrepare } from '../../render/qmp-sequences.ts';
import type { StepContext } from './run-step.ts';
import { argvHash, argvOptions, placementOf, runPhases, stepVm } from './step-helpers.ts';
import { startVmQemu } from './start-qemu.ts';

export async function secondaryStart(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const o = argvOptions(ctx, p.secondary);
  const argv = renderSecondaryArgv(ctx.spec, vm, p, o);
  const { pid, qmp } = await startVmQemu(ctx.session, vm, p.secondary, argv);
  await runPhases(qmp, renderSecondaryPrepare(ctx.spec, vm, p, o.dialect), { progress: ctx.progress });
  await ctx.updateVm(vm.name, (prev) =>
    prev
      ? {
          ...prev,
          started: {
            ...prev.started,
            [p.secondary]: { role: 'secondary', argvHash: argvHash(argv), pid, at: ctx.now().toISOString() },
          },
        }
      : prev,
  );
  return `pid ${pid}`;
}
