/** The host's work directory, private to the user colo runs as (QMP sockets live below it). */
import type { StepContext } from './run-step.ts';

export async function hostPrepare(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.spec.hosts[ctx.step.host ?? ''];
  if (!host) throw new Error(`${ctx.step.address}: host ${ctx.step.host} is not in the spec`);
  await ctx.session.transport(host.name).check(['mkdir', '-p', '-m', '0700', host.workDir], { timeoutMs: 15_000 });
  return host.workDir;
}
