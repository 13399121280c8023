/** `colo verify` as the user sees it: VerifyHuman (a line per check) or VerifyJson (schemas/verify.schema.json). */
import type { VmVerification } from '../../../engine/verify.ts';

export interface VerifyView {
  verified(list: VmVerification[]): void;
  /** The error line when a pair failed a check, or null when the output already reported it. */
  failure(list: VmVerification[]): string | null;
}
