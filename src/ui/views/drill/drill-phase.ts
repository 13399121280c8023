/** A drill phase in words: its label ("re-protect (round 2)") and what it found or why it failed. */
import type { DrillPhase } from '../../../engine/drill.ts';
import { applyCompleteMessage } from '../apply/apply-summary.ts';
import { failoverOutcome } from '../failover/failover-message.ts';
import { failedChecks } from '../verify/verify-human.ts';

/** The phase's name, with its round when the drill runs twice (--back). */
export function phaseLabel(p: DrillPhase, rounds: number): string {
  return `${p.name}${rounds > 1 ? ` (round ${p.round})` : ''}`;
}

/** The checks run, the failover's outcome, the apply summary; or why the phase failed. */
export function phaseDetail(p: DrillPhase): string {
  if (p.error !== undefined || !p.finding) return p.error ?? '';
  const f = p.finding;
  if (f.kind === 'verify')
    return f.verification.ok ? f.verification.checks.map((c) => c.name).join(', ') : failedChecks(f.verification);
  if (f.kind === 'failover') return failoverOutcome(f.result);
  return applyCompleteMessage('normal', f.changes);
}
