/** The executor of remote-script recipes: the body becomes an argv (render/recipes/script-argv.ts), run on the host. */
import type { Facts } from '../render/recipes/evaluate.ts';
import { scriptArgv } from '../render/recipes/script-argv.ts';
import type { ScriptRecipe } from '../render/recipes/types.ts';
import { CommandError, type RunResult, type Transport } from '../transport/types.ts';

/** `facts`: the replies of an earlier QMP recipe the script's arguments read from. */
export async function runScriptRecipe(t: Transport, r: ScriptRecipe, facts: Facts = {}): Promise<RunResult> {
  const argv = scriptArgv(r.body, facts);
  const res = await t.run(argv, { timeoutMs: r.timeoutMs });
  const o = r.outcome;
  if (o.kind === 'exit-zero' && res.code !== 0) throw new CommandError(t.host, argv, res);
  if (o.kind === 'expect' && (res.code !== 0 || !res.stdout.includes(o.stdoutIncludes))) {
    throw new Error(`${o.failure}: ${res.stdout.trim()} ${res.stderr.trim()}`);
  }
  return res;
}
