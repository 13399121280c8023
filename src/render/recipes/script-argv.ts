/**
 * A remote script's argv, as the Transport receives it: the one place where a script body
 * becomes a command. Every value is quoted (src/render/shell-quote.ts) or passed as a positional
 * parameter, never pasted into shell text unquoted. Pure.
 */
import { quoteArgv } from '../shell-quote.ts';
import { scriptArgValue, type Facts } from './evaluate.ts';
import type { ScriptArg, ScriptBody } from './types.ts';

/** Several commands in one `sh -c`, joined with `&&`: the first failure stops the batch. */
export function batchScript(commands: string[][]): string {
  return commands.map((c) => quoteArgv(c)).join(' && ');
}

export function scriptArgv(body: ScriptBody, facts: Facts = {}): string[] {
  const value = (a: ScriptArg) => scriptArgValue(a, facts);
  if (body.kind === 'exec') return body.argv.map(value);
  if (body.kind === 'batch') return ['sh', '-c', batchScript(body.commands.map((c) => c.map(value)))];
  return ['sh', '-c', body.text, body.name, ...body.args.map(value)];
}
