/** Known-bad QEMU combinations, per VM pair and host, and hosts whose QEMU does not run. Pure. */
import type { Spec } from '../spec/types.ts';
import type { Observation } from './observed.ts';
import { dialectForVersion } from '../render/dialect.ts';

export function qemuWarnings(spec: Spec, observation: Observation): string[] {
  const warnings: string[] = [];
  for (const vm of spec.vms) {
    for (const hostName of [vm.primary, vm.secondary]) {
      const h = observation.hosts[hostName];
      if (!h?.qemuVersion) continue;
      const d = dialectForVersion(h.qemuVersion, { package: h.qemuVersion.text });
      const v = `${h.qemuVersion.major}.${h.qemuVersion.minor}.${h.qemuVersion.micro}`;
      if (d.coloBroken)
        warnings.push(
          `${vm.name}: QEMU ${v} on ${hostName} is a release where COLO never reaches the colo state ` +
            `(10.0.0-10.0.6, 10.1.0-10.1.2); upgrade it`,
        );
      if (/^q35|^pc-q35/.test(vm.machine.type) && h.qemuVersion.major * 100 + h.qemuVersion.minor <= 702) {
        warnings.push(
          `${vm.name}: machine type ${vm.machine.type} with QEMU ${v} on ${hostName}: a q35 secondary aborts ` +
            `when it loads a COLO checkpoint (ich9 LPC post-load, seen on 7.2); use machine type pc`,
        );
      }
      const tcg = vm.machine.accel === 'tcg' || (vm.machine.accel === 'auto' && !h.kvm);
      if (tcg && d.tcgColoBugs) {
        warnings.push(
          `${vm.name}: runs under TCG with QEMU ${v} on ${hostName}, which lacks the two TCG COLO fixes ` +
            `(deadlock at the first checkpoint, missed dirty pages); use KVM or a QEMU built by scripts/build-qemu.sh`,
        );
      }
    }
  }
  // Hosts whose QEMU cannot run: every pair using them is blocked with the reason.
  for (const h of Object.values(observation.hosts)) {
    if (h.reachable && h.qemuError) {
      warnings.push(`host ${h.name}: QEMU binary ${spec.hosts[h.name]?.qemu.binary} does not run: ${h.qemuError}`);
    }
  }
  return warnings;
}
