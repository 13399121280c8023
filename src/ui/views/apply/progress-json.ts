/**
 * `colo apply --json` progress: one JSON object per line, Terraform's machine-readable UI shape
 * (schemas/apply-events.schema.json: apply_start, apply_progress, apply_complete, apply_errored,
 * apply_skipped).
 */
import type { ApplyHooks } from '../../../engine/apply-hooks.ts';
import type { PlannedStep } from '../../../plan/plan-model.ts';
import { secs, VERB } from './step-words.ts';

export function jsonHooks(write: (line: string) => void, now: () => Date = () => new Date()): ApplyHooks {
  const emit = (type: string, level: string, message: string, extra: Record<string, unknown>) =>
    write(JSON.stringify({ '@level': level, '@message': message, '@timestamp': now().toISOString(), type, ...extra }));
  const hook = (s: PlannedStep) => ({
    address: s.address,
    kind: s.kind,
    action: s.action,
    vm: s.vm ?? null,
    host: s.host ?? null,
  });
  return {
    stepStart: (s) => emit('apply_start', 'info', `${s.address}: ${VERB[s.action][0]}`, { hook: hook(s) }),
    stepProgress: (s, m) => emit('apply_progress', 'info', `${s.address}: ${m}`, { hook: hook(s) }),
    stepDone: (s, ms, d) =>
      emit('apply_complete', 'info', `${s.address}: ${VERB[s.action][1]} after ${secs(ms)}`, {
        hook: { ...hook(s), elapsed_ms: ms, detail: d ?? null },
      }),
    stepFailed: (s, ms, e) =>
      emit('apply_errored', 'error', `${s.address}: ${e.message}`, { hook: { ...hook(s), elapsed_ms: ms } }),
    stepSkipped: (s, why) => emit('apply_skipped', 'warn', `${s.address}: skipped (${why})`, { hook: hook(s) }),
  };
}
