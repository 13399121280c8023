/** `colo status --json`: one document (schemas/status.schema.json, format_version 1.1). */
import type { PairStatus } from '../../../plan/pair-status.ts';
import type { Output } from '../output.ts';
import type { StatusView, WatchFrame } from './status-view.ts';

export function statusDocument(list: PairStatus[]) {
  return { format_version: '1.1' as const, vms: list };
}

export class StatusJson implements StatusView {
  constructor(private readonly output: Output) {}

  status(list: PairStatus[]): void {
    this.output.out(`${JSON.stringify(statusDocument(list), null, 2)}\n`);
  }

  /** --watch --json: one document per line (JSON lines); a skipped refresh only says why, on stderr. */
  frame(list: PairStatus[], f: WatchFrame): void {
    if (f.skipped) this.output.err(`colo status: refresh at ${f.at.toISOString()} skipped: ${f.skipped}\n`);
    else this.output.out(`${JSON.stringify(statusDocument(list))}\n`);
  }
}
