/**
 * `colo drill` as the user sees it: DrillHuman (a line per phase as it ends, the re-protection's
 * progress indented) or DrillJson (one document at the end, schemas/drill.schema.json).
 */
import type { DrillHooks, DrillResult } from '../../../engine/drill.ts';

export interface DrillView {
  /** What the drill reports while it runs. */
  hooks(): DrillHooks;
  result(r: DrillResult): void;
  /** The error line when a phase failed, or null when the output already reported it. */
  failure(r: DrillResult): string | null;
}
