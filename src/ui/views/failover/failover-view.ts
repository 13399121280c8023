/**
 * `colo failover` as the user sees it: FailoverHuman (progress on stderr, a sentence per VM) or
 * FailoverJson (one document, schemas/failover.schema.json).
 */
import type { FailoverRun, FailoverTarget } from '../../../engine/failover.ts';

export type FailoverReport = Omit<FailoverRun, 'states'>;

export interface FailoverView {
  /** A step of one VM's failover ("stopping the primary QEMU on alpha"). */
  progress(vm: string, message: string): void;
  results(to: FailoverTarget, run: FailoverReport): void;
  /** The error line when VMs were not failed over, or null when the output already reported them. */
  failure(run: FailoverReport): string | null;
}
