/** `colo status` as the user sees it: StatusHuman (a block per pair) or StatusJson (schemas/status.schema.json). */
import type { PairStatus } from '../../../plan/pair-status.ts';

/** One refresh of `colo status --watch`. */
export interface WatchFrame {
  at: Date;
  intervalMs: number;
  /** Why this refresh showed the previous figures again (the state lock was held), or null. */
  skipped: string | null;
}

export interface StatusView {
  status(list: PairStatus[]): void;
  /** One refresh of --watch: in place on a terminal, else appended. */
  frame(list: PairStatus[], frame: WatchFrame): void;
}
