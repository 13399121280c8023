/** `colo apply` for people: the plan, listr2 progress on a terminal or plain lines without one, the summary. */
import type { ApplyError } from '../../../engine/apply.ts';
import type { Plan } from '../../../plan/plan-model.ts';
import type { Style } from '../../style.ts';
import type { Output } from '../output.ts';
import { renderPlanHuman } from '../plan/plan-human.ts';
import type { ApplyProgress, ApplySummary, ApplyView } from './apply-view.ts';
import { applySummaryMessage, blockedMessage } from './apply-summary.ts';
import { plainHooks } from './progress-plain.ts';
import { listrProgress } from './progress-listr.ts';
import type { ClusterApplyResult } from '../../../engine/cluster/apply-cluster.ts';
import { clusterAppliedMessage } from './cluster-applied.ts';

export class ApplyHuman implements ApplyView {
  constructor(
    private readonly output: Output,
    private readonly style: Style,
    /** A terminal: listr2 shows the progress; otherwise plain lines. */
    private readonly tty: boolean,
  ) {}

  plan(plan: Plan): void {
    this.output.out(renderPlanHuman(plan, this.style, { forApply: true }));
  }

  progress(): ApplyProgress {
    return this.tty ? listrProgress() : { hooks: plainHooks((l) => this.output.out(`${l}\n`)) };
  }

  summary(s: ApplySummary): void {
    this.output.out(`${s.plan.steps.length > 0 ? '\n' : ''}${applySummaryMessage(s.plan, s.changes)}\n`);
  }

  cluster(r: ClusterApplyResult): void {
    this.output.out(`${clusterAppliedMessage(r)}\n`);
  }

  failed(_err: ApplyError): void {
    // The error's message is the report (on stderr).
  }

  blockedFailure(plan: Pick<Plan, 'mode' | 'blocked'>): string {
    return blockedMessage(plan);
  }
}
