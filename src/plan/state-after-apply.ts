/**
 * What the state says once an apply ended: which pairs leave it (destroyed completely) and, for a
 * pair whose apply stopped, where it stands. Pure: from the plan, the state and the failures.
 */
import type { ColoState } from './state-model.ts';
import type { Plan } from './plan-model.ts';

/**
 * The VMs an apply removes from the state: every pair of a destroy, and pairs no longer in the
 * spec whose steps ran. A pair with a failed step or a blocked pair (e.g. a host that could not be
 * reached) is not gone: it stays.
 */
export function vmsLeavingState(
  plan: Pick<Plan, 'mode' | 'roles' | 'steps' | 'blocked'>,
  state: Pick<ColoState, 'vms'>,
  failedVms: readonly string[],
): string[] {
  const kept = new Set([...failedVms, ...plan.blocked.map((b) => b.vm)]);
  return Object.keys(state.vms).filter(
    (vm) =>
      !kept.has(vm) &&
      (plan.mode === 'destroy'
        ? plan.roles[vm] !== undefined
        : plan.roles[vm] === undefined && plan.steps.some((s) => s.vm === vm)),
  );
}

/** Where a pair stands after a failed step, from the state colo kept. */
export function describePairState(vm: string, state: Pick<ColoState, 'vms'>): string {
  const v = state.vms[vm];
  if (!v) return 'nothing was started for it';
  const started = Object.entries(v.started).map(([h, s]) => `${s.role} QEMU running on ${h} (pid ${s.pid})`);
  return `${started.length > 0 ? started.join(', ') : 'no QEMU started by colo'}; status ${v.status}`;
}
