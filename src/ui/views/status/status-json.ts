/** `colo status --json`: one document (schemas/status.schema.json, format_version 1.0). */
import type { PairStatus } from '../../../plan/pair-status.ts';
import type { Output } from '../output.ts';
import type { StatusView } from './status-view.ts';

export function statusDocument(list: PairStatus[]) {
  return { format_version: '1.0' as const, vms: list };
}

export class StatusJson implements StatusView {
  constructor(private readonly output: Output) {}

  status(list: PairStatus[]): void {
    this.output.out(`${JSON.stringify(statusDocument(list), null, 2)}\n`);
  }
}
