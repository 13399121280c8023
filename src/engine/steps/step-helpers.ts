/** Shared pieces of the step functions: the VM, its placement and the QEMU facts of its hosts. */
import type { VmSpec } from '../../spec/types.ts';
import type { Placement } from '../../render/placement.ts';
import type { Dialect } from '../../render/dialect.ts';
import type { ArgvOptions } from '../../render/argv.ts';
import { DEFAULT_QEMU_VERSION, dialectForVersion } from '../../render/dialect.ts';
import type { StepContext } from './step-context.ts';

export function stepVm(ctx: StepContext): VmSpec {
  const vm = ctx.spec.vms.find((v) => v.name === ctx.step.vm);
  if (!vm) throw new Error(`${ctx.step.address}: VM ${ctx.step.vm ?? '?'} is not in the spec`);
  return vm;
}

export function placementOf(ctx: StepContext, vm: VmSpec): Placement {
  const r = ctx.plan.roles[vm.name] ?? {
    primary: vm.primary,
    secondary: vm.secondary,
    primaryOrigin: 'primary' as const,
  };
  return placementFromRoles(r);
}

/** The placement of the roles the plan or the state records. */
export function placementFromRoles(r: { primary: string; secondary: string; primaryOrigin: string }): Placement {
  return {
    primary: r.primary,
    secondary: r.secondary,
    primaryPromoted: r.primaryOrigin === 'promoted-secondary',
    primaryHasProxyChardevs: true,
  };
}

/** QEMU 7.2 unless the plan's host facts say otherwise. */
export function dialectOf(ctx: StepContext, host: string): Dialect {
  const v = ctx.plan.hostFacts[host]?.qemuVersion ?? DEFAULT_QEMU_VERSION;
  return dialectForVersion(v);
}

export function argvOptions(ctx: StepContext, host: string): ArgvOptions {
  return { dialect: dialectOf(ctx, host), kvmAvailable: ctx.plan.hostFacts[host]?.kvm ?? false };
}

export { argvHash } from '../../plan/argv-hash.ts';

/** Poll fn every intervalMs until it returns a value, or fail with `what` after timeoutMs. */
export async function pollUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ` +
          `${what}${opts.lastSeen ? ` (last seen: ${opts.lastSeen()})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
