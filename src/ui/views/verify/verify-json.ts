/** `colo verify --json`: one document (schemas/verify.schema.json, format_version 1.1); ok false means exit 1. */
import type { VmVerification } from '../../../engine/verify.ts';
import type { Output } from '../output.ts';
import type { VerifyView } from './verify-view.ts';

export function verifyDocument(list: VmVerification[]) {
  return { format_version: '1.1' as const, ok: list.every((v) => v.ok), vms: list };
}

export class VerifyJson implements VerifyView {
  constructor(private readonly output: Output) {}

  verified(list: VmVerification[]): void {
    this.output.out(`${JSON.stringify(verifyDocument(list), null, 2)}\n`);
  }

  /** The document's ok says so. */
  failure(): null {
    return null;
  }
}
