/** Terraform's words for a step's progress ("Creating...", "Creation complete") and its elapsed time. */
import type { PlannedStep } from '../../../plan/plan-model.ts';

export const VERB: Record<PlannedStep['action'], [string, string]> = {
  create: ['Creating...', 'Creation complete'],
  update: ['Modifying...', 'Modifications complete'],
  replace: ['Replacing...', 'Replacement complete'],
  delete: ['Destroying...', 'Destruction complete'],
};

/** 1.2s under ten seconds, whole seconds above. */
export const secs = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`);
