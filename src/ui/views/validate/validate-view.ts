/** `colo validate` for a valid spec: a sentence, or with --json a one-line document. */
import type { Spec } from '../../../spec/types.ts';
import type { Output } from '../output.ts';

export interface ValidateView {
  valid(file: string, spec: Spec): void;
}

export function validateHuman(output: Output): ValidateView {
  return {
    valid: (file, spec) =>
      output.out(
        `Success! ${file} is valid: ${Object.keys(spec.hosts).length} hosts, ${spec.vms.length} VM ` +
          `pair${spec.vms.length === 1 ? '' : 's'}.\n`,
      ),
  };
}

export function validateJson(output: Output): ValidateView {
  return {
    valid: (file, spec) => {
      const doc = { valid: true, file, hosts: Object.keys(spec.hosts), vms: spec.vms.map((v) => v.name) };
      output.out(`${JSON.stringify(doc)}\n`);
    },
  };
}
