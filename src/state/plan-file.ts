/**
 * Saved plans (`colo plan -out FILE`, `colo apply FILE`): the plan plus the resolved spec it was
 * made from. A saved plan is stale once the state moved on (lineage or serial changed).
 */
import { promises as fs } from 'node:fs';
import type { Spec } from '../spec/types.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { Plan } from '../plan/plan-model.ts';
import { specHash } from '../plan/spec-hash.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { describeFsError } from './fs-error.ts';

export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanFileError';
  }
}

interface PlanFile {
  kind: 'colo-plan';
  plan: Plan;
  spec: Spec;
}

export async function writePlanFile(path: string, plan: Plan, spec: Spec): Promise<void> {
  const doc: PlanFile = { kind: 'colo-plan', plan, spec };
  // A new private file renamed over the target: never half-written, and 0600 even when it replaces
  // an existing file.
  try {
    await writeFileAtomic(path, `${JSON.stringify(doc)}\n`);
  } catch (err) {
    throw new PlanFileError(`cannot save the plan to ${path}: ${describeFsError(err)}`);
  }
}

export async function readPlanFile(path: string): Promise<{ plan: Plan; spec: Spec }> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new PlanFileError(
      `cannot read saved plan ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let doc: PlanFile;
  try {
    doc = JSON.parse(text) as PlanFile;
  } catch {
    throw new PlanFileError(`${path} is not a saved colo plan (not JSON)`);
  }
  if (doc?.kind !== 'colo-plan' || doc.plan?.formatVersion !== '1.0' || !doc.spec) {
    throw new PlanFileError(`${path} is not a saved colo plan of a format this colo reads`);
  }
  if (specHash(doc.spec) !== doc.plan.specHash)
    throw new PlanFileError(`${path} is corrupt: its spec does not match the hash the plan recorded`);
  return { plan: doc.plan, spec: doc.spec };
}

/** Throws when the state changed since the plan was made. */
export function assertPlanFresh(plan: Plan, state: ColoState | null, path: string): void {
  const lineage = state?.lineage ?? null;
  const serial = state?.serial ?? 0;
  if (lineage !== plan.stateLineage || serial !== plan.stateSerial) {
    throw new PlanFileError(
      `Saved plan is stale: ${path} was made against state ${plan.stateLineage ?? '(none)'} serial ` +
        `${plan.stateSerial}, ` +
        `but the state is now ${lineage ?? '(none)'} serial ${serial}. Run "colo plan" again.`,
    );
  }
}
