/**
 * The pair planner: one VM pair's steps, drift, warnings and block, as a pure function of the plan's
 * input. Each case lives in pair-primary-down.ts or pair-primary-runs.ts; this picks the case.
 */
import type { VmSpec } from '../spec/types.ts';
import { pairContext } from './pair-context.ts';
import type { PairContext } from './pair-context.ts';
import { primaryGone, primaryHostDown, qmpSilent } from './pair-primary-down.ts';
import { parameterUpdate, primaryArgvChanged, secondaryGone, secondaryProblems } from './pair-primary-runs.ts';
import type { ObservedQemu } from './observed.ts';
import type { PairPlan, PlanInput } from './plan-input.ts';
import type { Roles } from './roles.ts';
import { primaryFindings } from './side-findings.ts';

export function planPair(vm: VmSpec, input: PlanInput): PairPlan & { roles: Roles } {
  const c = pairContext(vm, input);
  if (!c.pHost?.reachable) primaryHostDown(c);
  else if (!c.pq?.alive) primaryGone(c);
  else if (!qmpSilent(c, c.pq)) primaryRuns(c, c.pq);
  return c.out;
}

/** The primary runs and answers QMP. */
function primaryRuns(c: PairContext, pq: ObservedQemu): void {
  const pf = primaryFindings(pq, c.exp);
  if (pf.argvChanges.length > 0) return primaryArgvChanged(c, pq, pf);
  const inColo = pq.coloMode === 'primary';
  if (!c.secondaryAlive) return secondaryGone(c, pq, inColo);
  if (!secondaryProblems(c, pq, c.sq!, pf, inColo)) parameterUpdate(c, pq);
}
