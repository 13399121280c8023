/** `colo drill` for people: "drill web: verify before: ok in 2150 ms (...)" per phase, then passed or the failure. */
import type { DrillHooks, DrillPhase, DrillResult } from '../../../engine/drill.ts';
import type { Output } from '../output.ts';
import { plainHooks } from '../apply/progress-plain.ts';
import type { DrillView } from './drill-view.ts';
import { phaseDetail, phaseLabel } from './drill-phase.ts';

export class DrillHuman implements DrillView {
  constructor(
    private readonly output: Output,
    private readonly vm: string,
  ) {}

  hooks(): DrillHooks {
    return {
      phaseDone: (p, rounds) => this.output.out(`${this.phaseLine(p, rounds)}\n`),
      apply: plainHooks((l) => this.output.out(`  ${l}\n`)),
    };
  }

  private phaseLine(p: DrillPhase, rounds: number): string {
    const head = `drill ${this.vm}: ${phaseLabel(p, rounds)}`;
    return p.ok
      ? `${head}: ok in ${p.ms} ms (${phaseDetail(p)})`
      : `${head}: FAILED after ${p.ms} ms: ${phaseDetail(p)}`;
  }

  result(r: DrillResult): void {
    if (r.ok) this.output.out(`drill ${r.vm}: passed (${r.phases.reduce((a, p) => a + p.ms, 0)} ms in all)\n`);
  }

  failure(r: DrillResult): string {
    const last = r.phases[r.phases.length - 1];
    return `drill ${r.vm} failed at "${last ? phaseLabel(last, r.rounds) : 'start'}": ${last ? phaseDetail(last) : ''}`;
  }
}
