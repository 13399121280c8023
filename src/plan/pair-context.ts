/** Everything the pair planner's cases look at for one VM pair, gathered once. */
import type { VmSpec } from '../spec/types.ts';
import type { ObservedHost, ObservedQemu } from './observed.ts';
import type { PairExpectation } from './pair-expectation.ts';
import type { PairPlan, PlanInput } from './plan-input.ts';
import { rolesFor } from './roles.ts';
import type { Roles } from './roles.ts';
import type { VmState } from './state-model.ts';

export interface PairContext {
  vm: VmSpec;
  /** The VM's name. */
  n: string;
  input: PlanInput;
  roles: Roles;
  exp: PairExpectation;
  vmState: VmState | undefined;
  pHost: ObservedHost | undefined;
  sHost: ObservedHost | undefined;
  pq: ObservedQemu | undefined;
  sq: ObservedQemu | undefined;
  /** The secondary's host answers and its QEMU runs. */
  secondaryAlive: boolean;
  /** The state knows the pair (colo deployed it). */
  deployed: boolean;
  /** The pair's plan, filled in by the case that applies. */
  out: PairPlan & { roles: Roles };
  /** Records something that changed outside colo. */
  drift(address: string, host: string | undefined, description: string): void;
}

export function pairContext(vm: VmSpec, input: PlanInput): PairContext {
  const roles = rolesFor(vm, input.state);
  const obs = input.observation;
  const vmState: VmState | undefined = input.state?.vms[vm.name];
  const sHost = obs.hosts[roles.secondary];
  const sq = obs.vms[vm.name]?.qemu[roles.secondary];
  const n = vm.name;
  const out: PairPlan & { roles: Roles } = { roles, steps: [], drift: [], warnings: [] };
  return {
    vm,
    n,
    input,
    roles,
    exp: input.expectation(vm, roles),
    vmState,
    pHost: obs.hosts[roles.primary],
    sHost,
    pq: obs.vms[vm.name]?.qemu[roles.primary],
    sq,
    secondaryAlive: !!(sHost?.reachable && sq?.alive),
    deployed: !!vmState,
    out,
    drift: (address, host, description) => out.drift.push({ address, vm: n, ...(host ? { host } : {}), description }),
  };
}
