/** A running QEMU's argv against the one the spec renders now, and against the one colo recorded. */
import { describeArgvChanges } from './argv-diff.ts';
import { argvHash } from './argv-hash.ts';
import type { ObservedQemu } from './observed.ts';
import type { PairExpectation } from './pair-expectation.ts';
import type { AttributeChange, PlannedStep } from './plan-model.ts';
import type { VmState } from './state-model.ts';

/** The argv a QEMU colo started runs, and the one the spec renders now, when the two differ. */
function changedArgv(q: ObservedQemu, exp: PairExpectation): { before: string[]; after: string[] } | undefined {
  if (!q.argv || !q.startedAs) return undefined;
  const after = exp.argv(q.host, q.startedAs);
  const same = after.length === q.argv.length && after.every((a, i) => a === q.argv![i]);
  return same ? undefined : { before: q.argv, after };
}

/** The running and the wanted argv of a drifted QEMU, for the plan's command-line diff. */
export function commandLineOf(q: ObservedQemu, exp: PairExpectation): Pick<PlannedStep, 'commandLine'> {
  const changed = changedArgv(q, exp);
  return changed ? { commandLine: changed } : {};
}

/** What the spec would change in the argv of a QEMU colo started (empty when it runs as rendered). */
export function argvDrift(q: ObservedQemu, exp: PairExpectation): AttributeChange[] {
  const changed = changedArgv(q, exp);
  return changed ? describeArgvChanges(changed.before, changed.after) : [];
}

/** The QEMU runs with exactly the argv colo recorded when it started it (the state's hash). */
export function startedByColoAsRunning(q: ObservedQemu, vmState: VmState | undefined): boolean {
  const recorded = vmState?.started[q.host]?.argvHash;
  return recorded !== undefined && q.argv !== undefined && argvHash(q.argv) === recorded;
}
