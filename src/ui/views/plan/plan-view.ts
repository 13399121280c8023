/**
 * `colo plan` as the user sees it (Terraform's views.Plan): PlanHuman (legend, one block per step,
 * drift notes, summary) or PlanJson (one document, schemas/plan.schema.json).
 */
import type { Plan } from '../../../plan/plan-model.ts';
import type { Advice } from '../../../plan/checkpoint-advice.ts';

export interface PlanViewOptions {
  /** The file the plan was saved to (plan --out). */
  savedTo?: string;
  /** What to tune, from the checkpoints sampled while planning (not part of a saved plan). */
  advice?: Advice[];
}

export interface PlanView {
  plan(plan: Plan, opts?: PlanViewOptions): void;
}
