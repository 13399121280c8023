/**
 * The executor of QMP recipes (src/render/recipes): sends exactly the recipe's commands, in order,
 * to the QMP clients of the QEMUs it names, and records what the recipe asks to keep (facts,
 * outcomes, removed objects, timings, events). Every QMP command colo sends goes through here.
 */
import { QmpError } from '../qmp/types.ts';
import { holds } from '../render/recipes/evaluate.ts';
import type { QmpOp, QmpRecipe, RescueOp } from '../render/recipes/types.ts';
import { runSend } from './run-recipe-send.ts';
import { runCheck, runPoll, runQueries, runWaitEvent } from './run-recipe-query.ts';
import {
  clientFor,
  newScope,
  sleep,
  type QmpPeers,
  type RecipeResult,
  type RecipeRunOptions,
  type RunScope,
} from './run-recipe-scope.ts';

export type { QmpPeers, RecipeResult, RecipeRunOptions } from './run-recipe-scope.ts';

function result(s: RunScope): RecipeResult {
  return {
    facts: s.facts,
    succeeded: s.succeeded,
    removed: s.removed,
    timings: s.timings,
    events: s.events,
    queryErrors: s.queryErrors,
  };
}

/** Runs a recipe; with `retry`, runs it again from the start (fresh facts) on the QMP errors named. */
export async function runQmpRecipe(
  recipe: QmpRecipe,
  peers: QmpPeers,
  opts: RecipeRunOptions = {},
): Promise<RecipeResult> {
  for (let attempt = 0; ; attempt++) {
    const scope = newScope(recipe, peers, opts);
    try {
      await runOps(recipe.ops, scope);
      return result(scope);
    } catch (err) {
      const r = recipe.retry;
      const again =
        r && err instanceof QmpError && new RegExp(r.qmpErrorMatching, 'i').test(err.desc) && attempt < r.times;
      if (!again) throw err;
      await sleep(r.delayMs);
    }
  }
}

async function runRescue(op: RescueOp, scope: RunScope): Promise<void> {
  const t0 = performance.now();
  try {
    await runOps(op.ops, scope);
  } catch (err) {
    const undo = await runOps(op.rescue, scope).then(
      () => op.rescued,
      (e: Error) => `${op.rescueFailed}: ${e.message}`,
    );
    throw new Error(`${op.failure}: ${(err as Error).message} (${undo})`);
  }
  if (op.timing) scope.timings[op.timing] = Math.round(performance.now() - t0);
}

async function runOp(op: QmpOp, scope: RunScope): Promise<void> {
  switch (op.op) {
    case 'send':
      return runSend(op, scope);
    case 'query':
      return runQueries(op.queries, scope, op.timeoutMs);
    case 'check':
      return runCheck(op, scope);
    case 'poll':
      return runPoll(op, scope);
    case 'wait-event':
      return runWaitEvent(op, scope);
    case 'mark':
      scope.marks[op.as] = clientFor(scope, op.on).eventSeq;
      return;
    case 'note':
      scope.progress?.(op.text);
      return;
    case 'rescue':
      return runRescue(op, scope);
    case 'include':
      await runQmpRecipe(op.recipe, scope.peers, scope.progress ? { progress: scope.progress } : {});
      return;
  }
}

async function runOps(ops: QmpOp[], scope: RunScope): Promise<void> {
  for (const op of ops) {
    if (op.when && !holds(op.when, scope)) continue;
    await runOp(op, scope);
  }
}
