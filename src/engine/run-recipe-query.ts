/** The executor's query, check, poll and event-wait operations. */
import type { QmpEventRecord } from '../qmp/types.ts';
import { failedCheck, fill, holds } from '../render/recipes/evaluate.ts';
import type { CheckOp, PollOp, QemuRole, Query, WaitEventOp } from '../render/recipes/types.ts';
import { clientFor, sleep, type RunScope } from './run-recipe-scope.ts';

/** Each QEMU's queries pipelined, both QEMUs in parallel; replies stored as facts. */
export async function runQueries(queries: Query[], scope: RunScope, timeoutMs?: number): Promise<void> {
  const groups = new Map<QemuRole | undefined, Query[]>();
  for (const q of queries) groups.set(q.on, [...(groups.get(q.on) ?? []), q]);
  const opts = timeoutMs === undefined ? {} : { timeoutMs };
  await Promise.all(
    [...groups].map(async ([on, qs]) => {
      const replies = await clientFor(scope, on).executeAllSettled(
        qs.map((q) => q.command),
        opts,
      );
      let failure: { error: Error } | undefined;
      qs.forEach((q, i) => {
        const r = replies[i]!;
        const onError = q.onError ?? 'fail';
        if (r.ok) {
          scope.facts[q.as] = r.value;
          delete scope.queryErrors[q.as];
          return;
        }
        if (onError === 'fail') failure ??= { error: r.error };
        else {
          scope.queryErrors[q.as] = r.error.message;
          if (onError === 'absent') delete scope.facts[q.as];
          else scope.facts[q.as] = onError.use;
        }
      });
      // Like executeAll: the first failure in command order, once every reply arrived.
      if (failure) throw failure.error;
    }),
  );
}

export async function runCheck(op: CheckOp, scope: RunScope): Promise<void> {
  if (op.queries && op.queries.length > 0) await runQueries(op.queries, scope);
  const failed = failedCheck(op.fail, scope);
  if (failed !== undefined) throw new Error(failed);
}

export async function runPoll(op: PollOp, scope: RunScope): Promise<void> {
  const t0 = performance.now();
  const end = Date.now() + op.timeoutMs;
  for (;;) {
    await runQueries(op.queries, scope);
    const failed = failedCheck(op.fail ?? [], scope);
    if (failed !== undefined) throw new Error(failed);
    const pending = op.pending.filter((p) => holds(p.when, scope));
    if (pending.length === 0) break;
    if (Date.now() > end) {
      const seen = `${op.lastSeenPrefix ?? ''}${pending.map((p) => fill(p.show, scope)).join(', ')}`;
      throw new Error(
        `timed out after ${Math.round(op.timeoutMs / 1000)} s waiting for ${op.what} (last seen: ${seen})`,
      );
    }
    await sleep(op.intervalMs);
  }
  const ms = Math.round(performance.now() - t0);
  if (op.timing) scope.timings[op.timing] = ms;
  if (op.slowNote && ms > op.slowNote.overMs) scope.progress?.(`${op.slowNote.text} ${ms} ms`);
}

function sinceOf(op: WaitEventOp, scope: RunScope): number | undefined {
  if (!op.after) return undefined;
  const seq = 'mark' in op.after ? scope.marks[op.after.mark] : scope.events[op.after.event]?.seq;
  if (seq === undefined)
    throw new Error(`recipe ${scope.recipe.name}: nothing recorded as ${JSON.stringify(op.after)}`);
  return seq;
}

export async function runWaitEvent(op: WaitEventOp, scope: RunScope): Promise<void> {
  const client = clientFor(scope, op.on);
  const since = sinceOf(op, scope);
  const match = (e: QmpEventRecord) =>
    (op.device === undefined || e.data?.device === op.device) && (since === undefined || e.seq > since);
  const wait = (name: string) => client.waitForEvent(name, match, { since, timeoutMs: op.timeoutMs });
  try {
    const e =
      op.events.length === 1
        ? await wait(op.events[0]!)
        : await Promise.any(op.events.map(wait)).catch((agg: AggregateError) => {
            throw agg.errors[0] as Error;
          });
    if (op.as) scope.events[op.as] = e;
  } catch (err) {
    if (!op.optional) throw err;
  }
}
