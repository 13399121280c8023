/** `colo failover --json`: one document (schemas/failover.schema.json); each error's kind is its class name. */
import type { FailoverResult, FailoverTarget } from '../../../engine/failover.ts';
import type { Output } from '../output.ts';
import type { FailoverReport, FailoverView } from './failover-view.ts';
import { failoverMessage } from './failover-message.ts';

/** One VM's outcome as the schema documents it. */
function resultEntry(r: FailoverResult) {
  const { vm, outcome, survivor, fenced, fencing, timings } = r;
  const promoted = r.outcome === 'promoted' ? { announce: r.announce, yanked: r.yanked, fencedHung: r.fencedHung } : {};
  return { vm, outcome, survivor, fenced, fencing, timings, ...promoted, message: failoverMessage(r) };
}

export function failoverDocument(to: FailoverTarget, run: FailoverReport) {
  return {
    format_version: '1.0' as const,
    to,
    results: run.results.map(resultEntry),
    errors: run.errors.map((e) => ({ vm: e.vm, kind: e.error.name, error: e.error.message })),
  };
}

export class FailoverJson implements FailoverView {
  constructor(private readonly output: Output) {}

  progress(): void {
    // The document says what happened.
  }

  results(to: FailoverTarget, run: FailoverReport): void {
    this.output.out(`${JSON.stringify(failoverDocument(to, run), null, 2)}\n`);
  }

  /** The document's errors list them. */
  failure(): null {
    return null;
  }
}
