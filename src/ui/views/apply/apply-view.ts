/**
 * `colo apply` / `colo destroy` as the user sees them (Terraform's views.Apply): the plan before
 * the prompt, the progress of the steps, and the summary. Two implementations: ApplyHuman (listr2
 * on a terminal, plain lines without one) and ApplyJson (JSON lines, schemas/apply-events.schema.json).
 */
import type { ApplyHooks } from '../../../engine/apply-hooks.ts';
import type { ApplyError, ChangeCounts, GroupRunner } from '../../../engine/apply.ts';
import type { Plan } from '../../../plan/plan-model.ts';
import type { ClusterApplyResult } from '../../../engine/cluster/apply-cluster.ts';

/** How the steps' progress is shown: hooks, and on a terminal a runner that owns the display (listr2). */
export interface ApplyProgress {
  hooks: ApplyHooks;
  runner?: GroupRunner;
}

/** How an apply ended when no step failed. */
export interface ApplySummary {
  plan: Pick<Plan, 'mode' | 'steps' | 'blocked'>;
  changes: ChangeCounts;
}

export interface ApplyView {
  /** The plan apply is about to carry out (before the prompt; not for a saved plan). */
  plan(plan: Plan): void;
  progress(): ApplyProgress;
  /** The run ended without a failed step. */
  summary(s: ApplySummary): void;
  /** What apply did to a cluster of the spec (after the pairs' steps). */
  cluster(r: ClusterApplyResult): void;
  /** Steps failed (the error's message also reaches stderr, as every error does). */
  failed(err: ApplyError): void;
  /** The error line for pairs apply could not repair, or null when the output already reported them. */
  blockedFailure(plan: Pick<Plan, 'mode' | 'blocked'>): string | null;
}
