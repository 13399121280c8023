/**
 * Remove the files colo created for a VM on a host (never the user's images). A promoted primary's
 * base copy holds the VM's disk since the failover: it is kept, and the step says where.
 */
import type { StepContext } from './run-step.ts';

export async function filesDelete(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.step.host!;
  const vmName = ctx.step.vm!;
  const vs = ctx.state().vms[vmName];
  const files = vs?.created[host] ?? [];
  const keep =
    vs && vs.primaryOrigin === 'promoted-secondary' && vs.primaryHost === host
      ? files.filter((f) => f.endsWith('-base.qcow2'))
      : [];
  const remove = files.filter((f) => !keep.includes(f));
  if (remove.length > 0) await ctx.session.transport(host).check(['rm', '-f', '--', ...remove], { timeoutMs: 30_000 });
  await ctx.updateVm(vmName, (prev) => (prev ? { ...prev, created: { ...prev.created, [host]: keep } } : prev));
  return keep.length > 0
    ? `removed ${remove.length}; kept ${keep.join(', ')} (the VM's disk since its failover)`
    : `removed ${remove.length}`;
}
