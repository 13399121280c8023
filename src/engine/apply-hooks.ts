/** Progress events of apply, consumed by the UI (listr2 on a terminal, plain lines, or JSON lines). */
import type { PlannedStep } from '../plan/plan-model.ts';

export interface ApplyHooks {
  stepStart(step: PlannedStep): void;
  /** A progress line within a step ("waiting for BLOCK_JOB_READY", ...). */
  stepProgress(step: PlannedStep, message: string): void;
  stepDone(step: PlannedStep, ms: number, detail?: string): void;
  stepFailed(step: PlannedStep, ms: number, error: Error): void;
  /** A step not run because an earlier step of its pair failed. */
  stepSkipped(step: PlannedStep, why: string): void;
}
