/**
 * Listeners on the management network: without a replicationAddress (or with the SSH address as
 * one), a host's NBD export, incoming migration and COLO proxy sockets (plain TCP: the guest's disk
 * writes and memory) listen on the address colo reaches sshd at. Warned by plan and validate; not
 * for loopback addresses (one machine, e.g. the lab). Pure.
 */
import type { Spec } from '../spec/types.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function listenerWarnings(spec: Spec): string[] {
  const warnings: string[] = [];
  for (const host of Object.values(spec.hosts)) {
    const ssh = host.ssh?.address;
    if (host.local || ssh === undefined || LOOPBACK.test(ssh) || host.replicationAddress !== ssh) continue;
    if (!spec.vms.some((vm) => vm.primary === host.name || vm.secondary === host.name)) continue;
    warnings.push(
      `host ${host.name}: QEMU's NBD, migration and COLO proxy listeners (plain TCP: the guest's disk writes ` +
        `and memory) bind to its SSH address ${ssh}; set replicationAddress to its address on a private link ` +
        `between the two hosts`,
    );
  }
  return warnings;
}
