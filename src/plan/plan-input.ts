/** What the planner takes (spec, prior state, observation, mode, now) and what it decides per pair. */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { Observation } from './observed.ts';
import type { PairExpectation } from './pair-expectation.ts';
import type { BlockedPair, DriftItem, PlanMode, PlannedStep } from './plan-model.ts';
import type { ColoState } from './state-model.ts';

export interface PlanInput {
  spec: Spec;
  state: ColoState | null;
  observation: Observation;
  mode: PlanMode;
  expectation: (vm: VmSpec, roles: { primary: string; secondary: string }) => PairExpectation;
  specHash: string;
  coloVersion: string;
  now: string;
}

/** One pair's share of the plan. */
export interface PairPlan {
  steps: PlannedStep[];
  drift: DriftItem[];
  blocked?: BlockedPair;
  warnings: string[];
}
