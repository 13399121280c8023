/**
 * `colo plan` as the user sees it (Terraform's views.Plan): PlanHuman (legend, one block per step,
 * drift notes, summary) or PlanJson (one document, schemas/plan.schema.json).
 */
import type { Plan } from '../../../plan/plan-model.ts';

export interface PlanView {
  /** `savedTo`: the file the plan was saved to (plan --out). */
  plan(plan: Plan, opts?: { savedTo?: string }): void;
}
