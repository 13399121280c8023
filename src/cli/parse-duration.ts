/** "30s", "500ms", "2m" -> milliseconds, for CLI flags. */
import { UserError } from './user-error.ts';

export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UserError(`${flag}: "${text}" is not a duration (examples: 500ms, 30s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']);
}
