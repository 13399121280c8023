/** Dispatches a planned step to the function that carries it out. */
import type { StepKind } from '../../plan/plan-model.ts';
import type { StepContext, StepFn } from './step-context.ts';
import { hostPrepare } from './host-prepare.ts';
import { primaryStart } from './primary-start.ts';
import { secondaryImages } from './secondary-images.ts';
import { secondaryStart } from './secondary-start.ts';
import { coloStart } from './colo-start.ts';
import { primaryLeaveColo } from './primary-leave-colo.ts';
import { checkpointUpdate } from './checkpoint-update.ts';
import { stopPrimary, stopSecondary } from './stop-qemu.ts';
import { filesDelete } from './files-delete.ts';

export type { StepContext, StepFn } from './step-context.ts';

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

/** Every step kind apply and destroy can run (the fault tests iterate over it). */
export const STEP_KINDS = Object.keys(STEPS) as StepKind[];

export function runStep(ctx: StepContext): Promise<string | undefined> {
  return STEPS[ctx.step.kind](ctx);
}
