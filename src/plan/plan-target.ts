/**
 * A plan limited to some VM pairs (Terraform's -target): their steps, drift and blocked pairs, and
 * the host preparation every step may need. Pure; the plan given is left as it is.
 */
import type { Plan } from './plan-model.ts';

export function targetPlan(plan: Plan, vms: readonly string[]): Plan {
  const wanted = (item: { vm?: string }) => item.vm === undefined || vms.includes(item.vm);
  return {
    ...plan,
    steps: plan.steps.filter(wanted),
    drift: plan.drift.filter(wanted),
    blocked: plan.blocked.filter((b) => vms.includes(b.vm)),
  };
}
