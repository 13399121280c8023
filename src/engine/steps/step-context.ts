/** What a step function gets from apply, and what it returns. */
import type { Spec } from '../../spec/types.ts';
import type { ColoState, VmState } from '../../plan/state-model.ts';
import type { Plan, PlannedStep } from '../../plan/plan-model.ts';
import type { Session } from '../session.ts';

export interface StepContext {
  session: Session;
  spec: Spec;
  plan: Plan;
  step: PlannedStep;
  state: () => ColoState;
  updateVm: (vm: string, fn: (prev: VmState | undefined) => VmState | undefined) => Promise<void>;
  progress: (message: string) => void;
  now: () => Date;
}

/** Returns a short detail for the progress line (e.g. "pid 1234", "switchover pause 118 ms"). */
export type StepFn = (ctx: StepContext) => Promise<string | undefined>;
