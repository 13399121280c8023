/** The words of an apply's end: "Apply complete! ...", "No changes. ...", and the pairs that need the user. */
import type { ChangeCounts } from '../../../engine/apply.ts';
import type { Plan, PlanMode } from '../../../plan/plan-model.ts';

/** What an apply that ran its steps did (also the drill's re-protection). */
export function applyCompleteMessage(mode: PlanMode, changes: ChangeCounts): string {
  return mode === 'destroy'
    ? `Destroy complete! Resources: ${changes.remove} destroyed.`
    : `Apply complete! Resources: ${changes.add} added, ${changes.change} changed, ${changes.remove} destroyed.`;
}

/** The last line of apply and destroy. */
export function applySummaryMessage(plan: Pick<Plan, 'mode' | 'steps' | 'blocked'>, changes: ChangeCounts): string {
  if (plan.steps.length > 0) return applyCompleteMessage(plan.mode, changes);
  return plan.blocked.length > 0 ? 'No changes applied.' : 'No changes. Your infrastructure matches the configuration.';
}

/** Pairs apply could not repair (a host down, a primary gone): the run did not converge. */
export function blockedMessage(plan: Pick<Plan, 'mode' | 'blocked'>): string {
  const n = plan.blocked.length;
  const lines = plan.blocked.map((b) => `  ${b.vm}: ${b.reason}${b.hint ? `\n    To resolve: ${b.hint}` : ''}`);
  const what = plan.mode === 'destroy' ? 'could not be destroyed completely' : 'could not be brought to the spec';
  return `${n} pair${n === 1 ? '' : 's'} ${what} and ${n === 1 ? 'needs' : 'need'} your action:\n${lines.join('\n')}`;
}
