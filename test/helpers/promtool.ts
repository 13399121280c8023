/** Prometheus's own parser and linter on a text: `promtool check metrics` (Debian's prometheus package). */
import { spawnSync } from 'node:child_process';

/** Exit code and output of `promtool check metrics` reading `text`: 0 and no output when it has nothing to say. */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool not found (apt-get install prometheus): ${r.error.message}`);
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
