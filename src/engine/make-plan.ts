/** Observe, then plan: the refresh + diff every planning command runs. */
import type { ColoState } from '../state/types.ts';
import type { Plan, PlanMode } from './plan-model.ts';
import type { Session } from './session.ts';
import type { Observation } from './observed.ts';
import { observeAll } from './observe.ts';
import { planAll } from './plan-pairs.ts';
import { pairExpectation } from './expectation.ts';
import { specHash } from './plan-file.ts';
import { COLO_VERSION } from '../version.ts';
import { dialectForVersion } from '../render/dialect-for-version.ts';

export class HostKeyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostKeyError';
  }
}

export async function makePlan(session: Session, state: ColoState | null, mode: PlanMode, now = new Date()): Promise<{ plan: Plan; observation: Observation }> {
  const observation = await observeAll(session, state);
  // A refused host key is never "host down": it is a security decision the user must make.
  const keyErrors = Object.values(observation.hosts).filter((h) => h.errorKind === 'HostKeyError');
  if (keyErrors.length > 0) throw new HostKeyRefused(keyErrors.map((h) => h.error ?? h.name).join('\n'));
  const spec = session.spec;
  const hostFacts = Object.fromEntries(
    Object.values(observation.hosts).map((h) => [h.name, { ...(h.qemuVersion ? { qemuVersion: h.qemuVersion } : {}), kvm: !!h.kvm }]),
  );
  const plan = planAll({
    spec,
    state,
    observation,
    mode,
    expectation: (vm, roles) => pairExpectation(spec, vm, roles, hostFacts),
    specHash: specHash(spec),
    coloVersion: COLO_VERSION,
    now: now.toISOString(),
  });
  // Known-bad QEMU combinations, per VM pair and host.
  for (const vm of spec.vms) {
    for (const hostName of [vm.primary, vm.secondary]) {
      const h = observation.hosts[hostName];
      if (!h?.qemuVersion) continue;
      const d = dialectForVersion(h.qemuVersion, { package: h.qemuVersion.text });
      const v = `${h.qemuVersion.major}.${h.qemuVersion.minor}.${h.qemuVersion.micro}`;
      if (d.coloBroken) plan.warnings.push(`${vm.name}: QEMU ${v} on ${hostName} is a release where COLO never reaches the colo state (10.0.0-10.0.6, 10.1.0-10.1.2); upgrade it`);
      if (/^q35|^pc-q35/.test(vm.machine.type) && h.qemuVersion.major * 100 + h.qemuVersion.minor <= 702) {
        plan.warnings.push(`${vm.name}: machine type ${vm.machine.type} with QEMU ${v} on ${hostName}: a q35 secondary aborts when it loads a COLO checkpoint (ich9 LPC post-load, seen on 7.2); use machine type pc`);
      }
      const tcg = vm.machine.accel === 'tcg' || (vm.machine.accel === 'auto' && !h.kvm);
      if (tcg && d.tcgColoBugs) {
        plan.warnings.push(`${vm.name}: runs under TCG with QEMU ${v} on ${hostName}, which lacks the two TCG COLO fixes (deadlock at the first checkpoint, missed dirty pages); use KVM or a QEMU built by scripts/build-qemu.sh`);
      }
    }
  }
  // Hosts whose QEMU cannot run: every pair using them is blocked with the reason.
  for (const h of Object.values(observation.hosts)) {
    if (h.reachable && h.qemuError) {
      plan.warnings.push(`host ${h.name}: QEMU binary ${spec.hosts[h.name]?.qemu.binary} does not run: ${h.qemuError}`);
    }
  }
  return { plan, observation };
}
