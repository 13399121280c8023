/** `colo status` as the user sees it: StatusHuman (a block per pair) or StatusJson (schemas/status.schema.json). */
import type { PairStatus } from '../../../plan/pair-status.ts';

export interface StatusView {
  status(list: PairStatus[]): void;
}
