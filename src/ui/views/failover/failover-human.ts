/** `colo failover` for people: each step on stderr as it happens, then one sentence per VM on stdout. */
import type { FailoverTarget } from '../../../engine/failover.ts';
import type { Output } from '../output.ts';
import type { FailoverReport, FailoverView } from './failover-view.ts';
import { failoverMessage } from './failover-message.ts';

export class FailoverHuman implements FailoverView {
  constructor(private readonly output: Output) {}

  progress(vm: string, message: string): void {
    this.output.err(`${vm}: ${message}\n`);
  }

  results(_to: FailoverTarget, run: FailoverReport): void {
    for (const r of run.results) this.output.out(`${failoverMessage(r)}\n`);
  }

  failure(run: FailoverReport): string {
    const msg = run.errors.map((e) => `${e.vm}: ${e.error.message}`).join('\n');
    return run.errors.length === 1 ? msg : `failover failed for ${run.errors.length} VMs:\n${msg}`;
  }
}
