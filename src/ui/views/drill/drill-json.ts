/** `colo drill --json`: one document after the drill (schemas/drill.schema.json); ok false means exit 1. */
import type { DrillHooks, DrillResult } from '../../../engine/drill.ts';
import type { Output } from '../output.ts';
import type { DrillView } from './drill-view.ts';
import { phaseDetail, phaseLabel } from './drill-phase.ts';

export function drillDocument(r: DrillResult) {
  return {
    format_version: '1.0' as const,
    vm: r.vm,
    ok: r.ok,
    phases: r.phases.map((p) => ({ phase: phaseLabel(p, r.rounds), ok: p.ok, ms: p.ms, detail: phaseDetail(p) })),
  };
}

export class DrillJson implements DrillView {
  constructor(private readonly output: Output) {}

  /** Nothing until the document: stdout holds one JSON value. */
  hooks(): DrillHooks {
    const none = () => {};
    return {
      phaseDone: none,
      apply: { stepStart: none, stepProgress: none, stepDone: none, stepFailed: none, stepSkipped: none },
    };
  }

  result(r: DrillResult): void {
    this.output.out(`${JSON.stringify(drillDocument(r), null, 2)}\n`);
  }

  /** The document's ok and its last phase say so. */
  failure(): null {
    return null;
  }
}
