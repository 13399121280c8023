/**
 * Saved plans (`colo plan -out FILE`, `colo apply FILE`): the plan plus the text of the spec file it
 * was made from. Reading one loads that text exactly like a spec file (YAML, schema, semantic
 * checks: a plan file is input like any other) and refuses it unless the result is the spec the plan
 * recorded (its hash). A saved plan is stale once the state moved on (lineage or serial changed).
 */
import { promises as fs } from 'node:fs';
import { formatDiagnostic, loadSpecText, type LoadOptions } from '../spec/index.ts';
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
  /** The spec file's text; the plan's specFile is its path. */
  specText: string;
}

/** Saves `plan`, made from the spec file whose text is `specText`. */
export async function writePlanFile(path: string, plan: Plan, specText: string): Promise<void> {
  const doc: PlanFile = { kind: 'colo-plan', plan, specText };
  // A new private file renamed over the target: never half-written, and 0600 even when it replaces
  // an existing file.
  try {
    await writeFileAtomic(path, `${JSON.stringify(doc)}\n`);
  } catch (err) {
    throw new PlanFileError(`cannot save the plan to ${path}: ${describeFsError(err)}`);
  }
}

/**
 * Reads a saved plan and loads its spec text as a spec file (with `load`: the user and home
 * directory, as for `-f FILE`). Throws a PlanFileError naming every problem.
 */
export async function readPlanFile(
  path: string,
  load: Pick<LoadOptions, 'defaultUser' | 'homeDir'>,
): Promise<{ plan: Plan; spec: Spec; specText: string }> {
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
  if (
    doc?.kind !== 'colo-plan' ||
    doc.plan?.formatVersion !== '1.0' ||
    typeof doc.specText !== 'string' ||
    typeof doc.plan.specFile !== 'string' ||
    typeof doc.plan.specHash !== 'string'
  ) {
    throw new PlanFileError(`${path} is not a saved colo plan of a format this colo reads`);
  }
  const spec = specOfPlan(path, doc, load);
  if (specHash(spec) !== doc.plan.specHash) {
    throw new PlanFileError(
      `${path} is corrupt: its spec does not match the hash the plan recorded (the file was edited, or ` +
        `the spec resolves differently for this user or home directory). Run "colo plan --out" again.`,
    );
  }
  return { plan: doc.plan, spec, specText: doc.specText };
}

/** The plan file's spec text loaded like a spec file named as the plan recorded it. */
function specOfPlan(path: string, doc: PlanFile, load: Pick<LoadOptions, 'defaultUser' | 'homeDir'>): Spec {
  const specFile = doc.plan.specFile;
  const r = loadSpecText(doc.specText, specFile, { ...load, absoluteFile: specFile });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.spec) {
    throw new PlanFileError(
      `${path}: the spec saved in this plan has ${errors.length} problem${errors.length === 1 ? '' : 's'} ` +
        `(colo checks it like a spec file):\n${errors.map((d) => formatDiagnostic(d)).join('\n')}`,
    );
  }
  return r.spec;
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
