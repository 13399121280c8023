/**
 * The planner: a pure function of (spec, state, observation) -> Plan. It decides, per VM pair,
 * what is healthy, what drifted, and the ordered steps that converge it. No I/O, no clock (the
 * caller passes `now`). One concept per file: roles.ts, side-findings.ts, param-changes.ts,
 * plan-pair.ts (with its cases in pair-primary-down.ts and pair-primary-runs.ts), reprotect-steps.ts,
 * destroy-steps.ts; this file puts the pairs together.
 */
import { destroySteps } from './destroy-steps.ts';
import { observedHosts } from './observe-replies.ts';
import { listenerWarnings } from './listener-warnings.ts';
import type { PlanInput } from './plan-input.ts';
import type { Plan, PlannedStep } from './plan-model.ts';
import { planPair } from './plan-pair.ts';
import { rolesFor } from './roles.ts';
import { tlsFindings } from './tls-refusal.ts';

export type { PlanInput } from './plan-input.ts';
export { rolesFor } from './roles.ts';
export { planPair } from './plan-pair.ts';
export { primaryFindings, secondaryFindings } from './side-findings.ts';
export type { SideFindings } from './side-findings.ts';

export function planAll(input: PlanInput): Plan {
  const plan = emptyPlan(input);
  const hostSteps = new Set<string>();
  for (const vm of input.spec.vms) {
    const roles = rolesFor(vm, input.state);
    plan.roles[vm.name] = roles;
    if (input.mode === 'destroy') {
      const d = destroySteps(vm.name, input.state?.vms[vm.name], roles, input.observation, 'colo destroy');
      plan.steps.push(...d.steps);
      if (d.blocked) plan.blocked.push(d.blocked);
      continue;
    }
    const tls = tlsFindings(input.spec, vm, roles, input.observation);
    plan.warnings.push(...tls.warnings);
    if (tls.blocked) {
      // a QEMU started with TLS it cannot load would fail: nothing of this pair is started or changed
      plan.blocked.push(tls.blocked);
      continue;
    }
    const pp = planPair(vm, input);
    plan.drift.push(...pp.drift);
    plan.warnings.push(...pp.warnings);
    if (pp.blocked) plan.blocked.push(pp.blocked);
    if (input.mode === 'refresh-only') continue;
    if (pp.steps.length > 0) plan.steps.push(...hostPrepareSteps(input, [roles.primary, roles.secondary], hostSteps));
    plan.steps.push(...pp.steps);
  }
  if (input.mode !== 'refresh-only') removedVms(input, plan);
  if (input.mode === 'normal') insecureWorkDirs(input, plan, hostSteps);
  return plan;
}

/** The plan's header and host facts, with no steps yet. */
function emptyPlan(input: PlanInput): Plan {
  return {
    formatVersion: '1.0',
    coloVersion: input.coloVersion,
    mode: input.mode,
    createdAt: input.now,
    specFile: input.spec.file,
    specHash: input.specHash,
    stateLineage: input.state?.lineage ?? null,
    stateSerial: input.state?.serial ?? 0,
    roles: {},
    hostFacts: Object.fromEntries(
      Object.values(input.observation.hosts).map((h) => [
        h.name,
        {
          ...(h.qemuVersion
            ? { qemuVersion: { major: h.qemuVersion.major, minor: h.qemuVersion.minor, micro: h.qemuVersion.micro } }
            : {}),
          kvm: !!h.kvm,
        },
      ]),
    ),
    drift: [],
    blocked: [],
    steps: [],
    warnings: listenerWarnings(input.spec),
  };
}

/** A work directory on each host that lacks one, once per host (`prepared` remembers). */
function hostPrepareSteps(input: PlanInput, hosts: string[], prepared: Set<string>): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const h of hosts) {
    const observed = input.observation.hosts[h];
    if ((observed?.workDirExists && !observed.workDirUnsafe) || prepared.has(h)) continue;
    prepared.add(h);
    steps.push(hostPrepareStep(input, h, observed?.workDirUnsafe));
  }
  return steps;
}

function hostPrepareStep(input: PlanInput, h: string, unsafe: string | undefined): PlannedStep {
  const dir = input.spec.hosts[h]?.workDir ?? '';
  return {
    address: `host.${h}`,
    action: unsafe ? 'update' : 'create',
    kind: 'host-prepare',
    host: h,
    reason: unsafe
      ? `work directory ${dir} is not private (${unsafe}): make it 0700, owned by the SSH user`
      : `work directory ${dir}`,
    changes: [],
  };
}

/** Work directories that exist but are not private, on hosts no step of the plan prepares yet. */
function insecureWorkDirs(input: PlanInput, plan: Plan, prepared: Set<string>): void {
  for (const h of [...observedHosts(input.spec, input.state)].sort()) {
    const unsafe = input.observation.hosts[h]?.workDirUnsafe;
    if (!unsafe || prepared.has(h)) continue;
    prepared.add(h);
    plan.steps.unshift(hostPrepareStep(input, h, unsafe));
  }
}

/** VMs colo manages that the spec no longer has: destroy them. */
function removedVms(input: PlanInput, plan: Plan): void {
  for (const [name, vs] of Object.entries(input.state?.vms ?? {})) {
    if (input.spec.vms.some((v) => v.name === name)) continue;
    const d = destroySteps(
      name,
      vs,
      { primary: vs.primaryHost, secondary: vs.secondaryHost },
      input.observation,
      `${name} is not in the spec any more`,
    );
    plan.steps.push(...d.steps);
    if (d.blocked) plan.blocked.push(d.blocked);
  }
}
