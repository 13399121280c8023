/** Apply progress without a terminal (CI, pipes): plain, append-only lines in Terraform's wording. */
import type { ApplyHooks } from '../../../engine/apply-hooks.ts';
import { secs, VERB } from './step-words.ts';

export function plainHooks(write: (line: string) => void): ApplyHooks {
  return {
    stepStart: (s) => write(`${s.address}: ${VERB[s.action][0]} [${s.kind}${s.host ? ` on ${s.host}` : ''}]`),
    stepProgress: (s, m) => write(`${s.address}: ${m}`),
    stepDone: (s, ms, d) => write(`${s.address}: ${VERB[s.action][1]} after ${secs(ms)}${d ? ` [${d}]` : ''}`),
    stepFailed: (s, ms, e) => write(`${s.address}: FAILED after ${secs(ms)}: ${e.message}`),
    stepSkipped: (s, why) => write(`${s.address}: skipped (${why})`),
  };
}
