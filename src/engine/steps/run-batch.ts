/**
 * Several commands in ONE round trip: each argv is quoted (src/render/shell-quote.ts) and the
 * quoted commands are joined with `&&`, so the first failure stops the batch and its stderr is
 * what the caller sees. No value is ever pasted into the script unquoted.
 */
import type { RunOptions, RunResult, Transport } from '../../transport/types.ts';
import { CommandError } from '../../transport/types.ts';
import { quoteArgv } from '../../render/shell-quote.ts';

export function batchScript(commands: string[][]): string {
  return commands.map((c) => quoteArgv(c)).join(' && ');
}

export async function runBatch(t: Transport, commands: string[][], opts: RunOptions = {}): Promise<RunResult> {
  const argv = ['sh', '-c', batchScript(commands)];
  const r = await t.run(argv, opts);
  if (r.code !== 0) throw new CommandError(t.host, commands.length === 1 ? commands[0]! : argv, r);
  return r;
}
