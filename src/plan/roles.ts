/** Who is primary and who secondary now: the state's roles (after a failover), else the spec's. */
import type { VmSpec } from '../spec/types.ts';
import type { ColoState } from './state-model.ts';

export interface Roles {
  primary: string;
  secondary: string;
  primaryOrigin: 'primary' | 'promoted-secondary';
}

export function rolesFor(vm: VmSpec, state: ColoState | null): Roles {
  const s = state?.vms[vm.name];
  if (s && [vm.primary, vm.secondary].includes(s.primaryHost) && [vm.primary, vm.secondary].includes(s.secondaryHost)) {
    return { primary: s.primaryHost, secondary: s.secondaryHost, primaryOrigin: s.primaryOrigin };
  }
  return { primary: vm.primary, secondary: vm.secondary, primaryOrigin: 'primary' };
}
