/** The VMs a command names on its command line (all when none): an unknown name is a usage error. */
import type { Spec, VmSpec } from '../spec/types.ts';
import { UserError } from './user-error.ts';

/** `listKnown`: the error also lists the spec's VMs (every command but verify does). */
export function selectVms(spec: Spec, names: readonly string[], file: string, listKnown = true): VmSpec[] {
  const unknown = names.filter((n) => !spec.vms.some((v) => v.name === n));
  if (unknown.length > 0) {
    const known = listKnown ? ` (VMs: ${spec.vms.map((v) => v.name).join(', ')})` : '';
    throw new UserError(`no VM named ${unknown.join(', ')} in ${file}${known}`);
  }
  return spec.vms.filter((v) => names.length === 0 || names.includes(v.name));
}
