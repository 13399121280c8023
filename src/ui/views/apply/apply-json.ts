/**
 * `colo apply --json`: JSON lines (schemas/apply-events.schema.json). The steps' events, then one
 * change_summary line, or an apply_failed line when steps failed.
 */
import type { ApplyError, ChangeCounts } from '../../../engine/apply.ts';
import type { Plan } from '../../../plan/plan-model.ts';
import type { Output } from '../output.ts';
import type { ApplyProgress, ApplySummary, ApplyView } from './apply-view.ts';
import { applySummaryMessage } from './apply-summary.ts';
import { jsonHooks } from './progress-json.ts';
import type { ClusterApplyResult } from '../../../engine/cluster/apply-cluster.ts';
import { clusterAppliedEvent } from './cluster-applied.ts';

/** The last line of a run in which no step failed (change_summary). */
export function changeSummaryEvent(
  message: string,
  changes: ChangeCounts,
  blocked: Plan['blocked'],
  now: Date = new Date(),
) {
  return {
    '@level': 'info' as const,
    '@message': message,
    '@timestamp': now.toISOString(),
    type: 'change_summary' as const,
    changes,
    blocked,
  };
}

/** The last line of a run in which steps failed (apply_failed). */
export function applyFailedEvent(err: ApplyError, now: Date = new Date()) {
  return {
    '@level': 'error' as const,
    '@message': err.message,
    '@timestamp': now.toISOString(),
    type: 'apply_failed' as const,
    failures: err.failures.map((f) => ({
      vm: f.vm ?? null,
      address: f.step.address,
      kind: f.step.kind,
      error: f.error.message,
    })),
  };
}

export class ApplyJson implements ApplyView {
  constructor(
    private readonly output: Output,
    private readonly now: () => Date = () => new Date(),
  ) {}

  plan(_plan: Plan): void {
    // The JSON lines are events of the run; `colo plan --json` shows a plan.
  }

  progress(): ApplyProgress {
    return { hooks: jsonHooks((l) => this.output.out(`${l}\n`), this.now) };
  }

  summary(s: ApplySummary): void {
    const ev = changeSummaryEvent(applySummaryMessage(s.plan, s.changes), s.changes, s.plan.blocked, this.now());
    this.output.out(`${JSON.stringify(ev)}\n`);
  }

  cluster(r: ClusterApplyResult): void {
    this.output.out(`${JSON.stringify(clusterAppliedEvent(r, this.now()))}\n`);
  }

  failed(err: ApplyError): void {
    this.output.out(`${JSON.stringify(applyFailedEvent(err, this.now()))}\n`);
  }

  /** change_summary lists the blocked pairs. */
  blockedFailure(): null {
    return null;
  }
}
