/** Dispatches a planned step to the function that carries it out. */
import type { Spec } from '../../spec/types.ts';
import type { ColoState, VmState } from '../../plan/state-model.ts';
import type { Plan, PlannedStep, StepKind } from '../../plan/plan-model.ts';
import type { Session } from '../session.ts';
import { hostPrepare } from './host-prepare.ts';
import { primaryStart } from './primary-start.ts';
import { secondaryImages } from './secondary-images.ts';
import { secondaryStart } from './secondary-start.ts';
import { coloStart } from './colo-start.ts';
import { primaryLeaveColo } from './primary-leave-colo.ts';
import { checkpointUpdate } from './checkpoint-update.ts';
import { stopPrimary, stopSecondary } from './stop-qemu.ts';
import { filesDelete } from './files-delete.ts';

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

const STEPS: Record<StepKind, StepFn> = {
  'host-prepare': hostPrepare,
  'primary-start': primaryStart,
  'primary-leave-colo': primaryLeaveColo,
  'secondary-stop': stopSecondary,
  'primary-stop': stopPrimary,
  'secondary-images': secondaryImages,
  'secondary-start': secondaryStart,
  'colo-start': coloStart,
  'checkpoint-update': checkpointUpdate,
  'files-delete': filesDelete,
};

export function runStep(ctx: StepContext): Promise<string | undefined> {
  return STEPS[ctx.step.kind](ctx);
}
