/**
 * Several QMP commands at once: pipelined (all sent, then all replies awaited: one round trip) or in
 * sequence (each waits for the previous reply). `send` is the client's single-command call.
 */
import type { QmpSequenceOptions, QmpSettled } from './client-options.ts';
import type { QmpCommand } from './types.ts';

export type Send = (
  command: string,
  args: Record<string, unknown> | undefined,
  timeoutMs?: number,
  oob?: boolean,
) => Promise<unknown>;

/** Every command's outcome, in command order. */
export async function pipelineSettled(
  send: Send,
  commands: readonly QmpCommand[],
  timeoutMs: number | undefined,
): Promise<QmpSettled[]> {
  const sent = commands.map((c) => send(c.execute, c.arguments, timeoutMs, c.oob === true));
  const settled = await Promise.allSettled(sent);
  return settled.map((s) =>
    s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason as Error },
  );
}

/** The results in command order, or the first failure in command order (after every reply arrived). */
export function resultsOrFirstError(settled: readonly QmpSettled[]): unknown[] {
  const results: unknown[] = [];
  for (const s of settled) {
    if (!s.ok) throw s.error;
    results.push(s.value);
  }
  return results;
}

/** One after another; stops at and rejects with the first error. */
export async function inSequence(
  send: Send,
  commands: readonly QmpCommand[],
  opts: QmpSequenceOptions,
): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const [i, c] of commands.entries()) {
    const r = await send(c.execute, c.arguments, opts.timeoutMs, c.oob === true);
    results.push(r);
    opts.onResult?.(i, c, r);
  }
  return results;
}
