/**
 * Apply progress on a terminal: listr2, one task per VM pair (concurrent), one subtask per step.
 * The engine still runs the steps; the tasks mirror them through the hooks.
 */
import type { Listr } from 'listr2';
import type { ApplyHooks } from '../../../engine/apply-hooks.ts';
import type { GroupRunner } from '../../../engine/apply.ts';
import type { PlannedStep } from '../../../plan/plan-model.ts';
import { secs, VERB } from './step-words.ts';

export function listrProgress(): { hooks: ApplyHooks; runner: GroupRunner } {
  const titles = new Map<PlannedStep, { setTitle: (t: string) => void; setOutput: (t: string) => void }>();
  const hooks: ApplyHooks = {
    stepStart: () => {},
    stepProgress: (s, m) => titles.get(s)?.setOutput(m),
    stepDone: (s, ms, d) =>
      titles.get(s)?.setTitle(`${s.address}: ${VERB[s.action][1]} after ${secs(ms)}${d ? ` [${d}]` : ''}`),
    stepFailed: (s, ms, e) =>
      titles.get(s)?.setTitle(`${s.address}: failed after ${secs(ms)}: ${e.message.split('\n')[0]}`),
    stepSkipped: () => {},
  };
  const runner: GroupRunner = async (groups, runChain) => {
    // The chain runner executes steps; each listr subtask waits for "its" step to finish.
    const waiters = new Map<
      PlannedStep,
      { started: Promise<void>; start: () => void; done: Promise<boolean>; finish: (ok: boolean) => void }
    >();
    for (const g of groups) {
      for (const s of g.steps) {
        let start!: () => void;
        let finish!: (ok: boolean) => void;
        const started = new Promise<void>((r) => (start = r));
        const done = new Promise<boolean>((r) => (finish = r));
        waiters.set(s, { started, start, done, finish });
      }
    }
    const origStart = hooks.stepStart;
    hooks.stepStart = (s) => {
      origStart(s);
      waiters.get(s)?.start();
    };
    const wrapDone = hooks.stepDone;
    hooks.stepDone = (s, ms, d) => {
      wrapDone(s, ms, d);
      waiters.get(s)?.finish(true);
    };
    const wrapFail = hooks.stepFailed;
    hooks.stepFailed = (s, ms, e) => {
      wrapFail(s, ms, e);
      waiters.get(s)?.finish(false);
    };
    hooks.stepSkipped = (s) => {
      waiters.get(s)?.start();
      waiters.get(s)?.finish(false);
    };
    // listr2 takes ~100 ms to load: only a terminal run loads it.
    const { Listr: ListrClass } = await import('listr2');
    const list = new ListrClass(
      groups.map((g) => ({
        title: `vm ${g.name}`,
        task: (_ctx: unknown, task: { newListr: (...a: never[]) => unknown }) =>
          (task.newListr as unknown as (t: unknown[], o: unknown) => Listr)(
            g.steps.map((s) => ({
              title: `${s.address}: ${VERB[s.action][0]}`,
              task: async (_c: unknown, t: { title: string; output: string; skip: (m?: string) => void }) => {
                titles.set(s, { setTitle: (x) => (t.title = x), setOutput: (x) => (t.output = x) });
                const w = waiters.get(s)!;
                await w.started;
                if (!(await w.done)) throw new Error(t.title);
              },
            })),
            { concurrent: false, exitOnError: true },
          ),
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false, collapseSubtasks: false } },
    );
    await Promise.all([list.run().catch(() => undefined), Promise.all(groups.map((g) => runChain(g)))]);
  };
  return { hooks, runner };
}
