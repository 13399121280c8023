/**
 * The planning core's entry point: a pure function of (spec, prior state, observation, mode, now)
 * that returns the plan, with the warnings about known-bad QEMU combinations. No I/O, no clock.
 */
import type { Spec } from '../spec/types.ts';
import type { ColoState } from './state-model.ts';
import type { Observation } from './observed.ts';
import type { HostFacts, Plan, PlanMode } from './plan-model.ts';
import { planAll } from './plan-pairs.ts';
import { pairExpectation } from './expectation.ts';
import { specHash } from './spec-hash.ts';
import { qemuWarnings } from './qemu-warnings.ts';

export interface PlanRequest {
  spec: Spec;
  state: ColoState | null;
  observation: Observation;
  mode: PlanMode;
  /** ISO time the plan is made at. */
  now: string;
  coloVersion: string;
}

export function hostFactsOf(observation: Observation): Record<string, HostFacts> {
  return Object.fromEntries(
    Object.values(observation.hosts).map((h) => [
      h.name,
      { ...(h.qemuVersion ? { qemuVersion: h.qemuVersion } : {}), kvm: !!h.kvm },
    ]),
  );
}

export function makePlanFrom(req: PlanRequest): Plan {
  const { spec, observation } = req;
  const hostFacts = hostFactsOf(observation);
  const plan = planAll({
    spec,
    state: req.state,
    observation,
    mode: req.mode,
    expectation: (vm, roles) => pairExpectation(spec, vm, roles, hostFacts),
    specHash: specHash(spec),
    coloVersion: req.coloVersion,
    now: req.now,
  });
  plan.warnings.push(...qemuWarnings(spec, observation));
  return plan;
}
