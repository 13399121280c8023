/** The destroy planner: stop a pair's QEMUs and delete its files where the hosts can be reached. */
import type { Observation } from './observed.ts';
import type { BlockedPair, PlannedStep } from './plan-model.ts';
import type { VmState } from './state-model.ts';

/**
 * Stop a pair's QEMUs and delete the files colo created, on the hosts that can be reached. What an
 * unreachable host holds cannot be judged or removed: the pair is blocked (it stays in the state,
 * and a later destroy finishes the job once the host is back).
 */
export function destroySteps(
  vmName: string,
  vmState: VmState | undefined,
  hosts: { primary: string; secondary: string },
  obs: Observation,
  reason: string,
): { steps: PlannedStep[]; blocked?: BlockedPair } {
  const steps: PlannedStep[] = [];
  const q = obs.vms[vmName]?.qemu ?? {};
  const unreachable = [...new Set([hosts.secondary, hosts.primary])].filter((h) => !obs.hosts[h]?.reachable);
  for (const [role, host] of [
    ['secondary', hosts.secondary],
    ['primary', hosts.primary],
  ] as const) {
    if (q[host]?.alive && obs.hosts[host]?.reachable) {
      steps.push({
        address: `vm.${vmName}.${role}`,
        action: 'delete',
        kind: role === 'primary' ? 'primary-stop' : 'secondary-stop',
        vm: vmName,
        host,
        reason,
        changes: [],
      });
    }
  }
  for (const host of [hosts.secondary, hosts.primary]) {
    const files = vmState?.created[host] ?? [];
    if (files.length > 0 && obs.hosts[host]?.reachable)
      steps.push({
        address: `vm.${vmName}.files.${host}`,
        action: 'delete',
        kind: 'files-delete',
        vm: vmName,
        host,
        reason: `${files.length} file${files.length === 1 ? '' : 's'} colo created on ${host}`,
        changes: [],
      });
  }
  if (unreachable.length === 0 || !vmState) return { steps };
  const errors = unreachable.map((h) => `${h}: ${obs.hosts[h]?.error ?? 'not observed'}`).join('; ');
  return {
    steps,
    blocked: {
      vm: vmName,
      reason:
        `host ${unreachable.join(' and ')} ${unreachable.length === 1 ? 'is' : 'are'} unreachable ` +
        `(${errors}): colo cannot stop ${vmName}'s QEMU or delete its files ` +
        `there${steps.length > 0 ? '; it removes what it can reach' : ''} and keeps ${vmName} in the state`,
      hint:
        `run the same destroy again once ${unreachable.join(' and ')} ` +
        `${unreachable.length === 1 ? 'is' : 'are'} reachable`,
    },
  };
}
