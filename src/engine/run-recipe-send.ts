/** The executor's send operation: commands one by one or pipelined, tolerated errors, job waits. */
import type { QmpClient } from '../qmp/client.ts';
import { QmpError } from '../qmp/types.ts';
import { holds, tolerated } from '../render/recipes/evaluate.ts';
import type { JobWait, QmpStep, SendOp } from '../render/recipes/types.ts';
import { clientFor, type RunScope } from './run-recipe-scope.ts';

/** Records a command's outcome; throws its error unless tolerated (QMP errors prefixed with the phase). */
function settle(s: QmpStep, failure: { error: unknown } | undefined, op: SendOp, scope: RunScope): void {
  if (!failure) {
    if (s.label) scope.succeeded[s.label] = true;
    if (s.removes) scope.removed.push(s.removes);
    return;
  }
  const { error } = failure;
  if (tolerated(s.tolerate, error instanceof QmpError ? error.desc : undefined)) {
    if (s.label) scope.succeeded[s.label] = false;
    return;
  }
  if (error instanceof QmpError && op.phase) {
    throw new QmpError(`${op.phase}: ${s.command.execute}`, error.errorClass, error.desc);
  }
  throw error;
}

/** Until every job sent its event (after `since`); BLOCK_JOB_ERROR, or a COMPLETED with an error, fails. */
async function waitJobs(client: QmpClient, w: JobWait, since: number): Promise<void> {
  const accepted = w.event === 'BLOCK_JOB_COMPLETED' ? ['BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'] : [w.event];
  await Promise.all(
    w.jobIds.map(async (job) => {
      const errEvent = client
        .waitForEvent('BLOCK_JOB_ERROR', (e) => e.data?.device === job, { since, timeoutMs: 0 })
        .then((e) => {
          throw new Error(`block job ${job} failed: ${JSON.stringify(e.data)}`);
        });
      const ok = Promise.any(
        accepted.map((name) =>
          client.waitForEvent(name, (e) => e.data?.device === job, { since, timeoutMs: w.timeoutMs }),
        ),
      ).catch((e: AggregateError) => {
        throw new Error(`waiting for ${w.event} of block job ${job}: ${(e.errors[0] as Error)?.message ?? e.message}`);
      });
      const done = await Promise.race([ok, errEvent]);
      errEvent.catch(() => undefined);
      if (done.event === 'BLOCK_JOB_COMPLETED' && typeof done.data?.error === 'string') {
        throw new Error(`block job ${job} ended with an error: ${done.data.error}`);
      }
    }),
  );
}

export async function runSend(op: SendOp, scope: RunScope): Promise<void> {
  const client = clientFor(scope, op.on);
  const since = client.eventSeq;
  const t0 = performance.now();
  if (op.phase) scope.progress?.(op.phase);
  const opts = op.timeoutMs === undefined ? {} : { timeoutMs: op.timeoutMs };
  if (op.pipelined) {
    // One round trip; every reply checked afterwards (QEMU runs them in order regardless).
    const chosen = op.steps.filter((s) => !s.when || holds(s.when, scope));
    const replies = await client.executeAllSettled(
      chosen.map((s) => s.command),
      opts,
    );
    replies.forEach((r, i) => settle(chosen[i]!, r.ok ? undefined : { error: r.error }, op, scope));
  } else {
    for (const s of op.steps) {
      // Guards are read just before each command: an earlier one's outcome may decide.
      if (s.when && !holds(s.when, scope)) continue;
      let failure: { error: unknown } | undefined;
      try {
        await client.execute(s.command.execute, s.command.arguments, s.command.oob ? { ...opts, oob: true } : opts);
      } catch (error) {
        failure = { error };
      }
      settle(s, failure, op, scope);
    }
  }
  if (op.waitFor) await waitJobs(client, op.waitFor, since);
  if (op.phase) scope.timings[op.phase] = Math.round(performance.now() - t0);
}
