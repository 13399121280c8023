/** `colo apply [PLANFILE]` and `colo destroy`: make the hosts match the spec (or carry out a saved plan exactly). */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecSourceOrFail } from '../load-spec-or-fail.ts';
import { loadEnvironment } from '../spec-file.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { liveProgress, processOutput, styleFor } from '../output.ts';
import { confirmOrFail } from '../confirm.ts';
import { CommandFailed } from '../user-error.ts';
import { afterStepHookFromEnv } from '../fault-injection.ts';
import type { AfterStepHook } from '../../engine/after-step-hook.ts';
import { assertPlanFresh, readPlanFile } from '../../state/plan-file.ts';
import { makePlan } from '../../engine/make-plan.ts';
import { applyAndRecord, ApplyError } from '../../engine/apply.ts';
import type { Session } from '../../engine/session.ts';
import type { StateStore } from '../../engine/state-store.ts';
import { planHasChanges, type Plan } from '../../plan/plan-model.ts';
import { clusterHasChanges } from '../../plan/cluster-plan.ts';
import { applyCluster } from '../../engine/cluster/apply-cluster.ts';
import type { ColoState } from '../../plan/state-model.ts';
import type { ApplyView } from '../../ui/views/apply/apply-view.ts';
import { ApplyHuman } from '../../ui/views/apply/apply-human.ts';
import { ApplyJson } from '../../ui/views/apply/apply-json.ts';

type ApplyCommand = 'apply' | 'destroy';

interface ApplyOptions extends SpecOptions {
  autoApprove?: boolean;
  lockTimeout: string;
}

/** A fresh plan, shown, and approved (unless --auto-approve or nothing to do). */
async function approvedPlan(
  session: Session,
  state: ColoState | null,
  name: ApplyCommand,
  opts: ApplyOptions,
  view: ApplyView,
  specText: string,
): Promise<Plan> {
  const destroy = name === 'destroy';
  const { plan } = await makePlan(session, state, destroy ? 'destroy' : 'normal', { specText });
  view.plan(plan);
  if (planHasChanges(plan) && !opts.autoApprove) {
    await confirmOrFail(
      destroy ? 'Do you really want to destroy all resources?' : 'Do you want to perform these actions?',
      destroy
        ? 'colo will destroy all your managed VM pairs. There is no undo.'
        : 'colo will perform the actions described above.',
    );
  }
  return plan;
}

/** Carries out the plan with progress, then the summary; a failed step is shown and rethrown. */
async function carryOut(
  session: Session,
  store: StateStore,
  plan: Plan,
  state: ColoState | null,
  view: ApplyView,
  afterStep: AfterStepHook | undefined,
  specText: string,
) {
  try {
    const run = { session, plan, state, store, ...view.progress(), ...(afterStep ? { afterStep } : {}) };
    const { changes } = await applyAndRecord(run);
    // the clusters after the pairs: the CIB's clones are held Stopped until colo's agent exists
    for (const c of plan.clusters ?? [])
      if (clusterHasChanges(c)) view.cluster(await applyCluster(session, c, specText));
    view.summary({ plan, changes });
  } catch (err) {
    if (err instanceof ApplyError) view.failed(err);
    throw err;
  }
}

async function runApplyCommand(name: ApplyCommand, planFile: string | undefined, opts: ApplyOptions): Promise<number> {
  const view = opts.json ? new ApplyJson(processOutput) : new ApplyHuman(processOutput, styleFor(opts), liveProgress());
  const afterStep = afterStepHookFromEnv(); // a test hook: only with COLO_TEST_HOOKS=1
  const saved = planFile ? await readPlanFile(planFile, loadEnvironment()) : undefined;
  const source = saved ? { spec: saved.spec, text: saved.specText } : await loadSpecSourceOrFail(opts.file);
  const spec = source.spec;
  const lock = stateLockFor(opts, name);
  const plan = await withLockedSession(spec, opts, lock, async (session, store) => {
    const state = await store.read();
    if (saved) assertPlanFresh(saved.plan, state, planFile!);
    const plan = saved ? saved.plan : await approvedPlan(session, state, name, opts, view, source.text);
    const refused = (plan.clusters ?? []).flatMap((c) => c.refusals.map((r) => `cluster ${c.name}: ${r}`));
    if (refused.length > 0) throw new CommandFailed(`apply refuses to touch the cluster:\n${refused.join('\n')}`);
    await carryOut(session, store, plan, state, view, afterStep, source.text);
    return plan;
  });
  // Pairs apply could not repair (a host down, a primary gone): the run did not converge.
  if (plan.blocked.length > 0) throw new CommandFailed(view.blockedFailure(plan));
  return 0;
}

export function registerApplyLike(program: Command, wire: Wire, name: ApplyCommand): void {
  const destroy = name === 'destroy';
  const cmd = specCommand(
    program,
    name,
    destroy
      ? 'stop both QEMUs of every pair and remove the files colo created (never your disk images)'
      : 'bring the hosts to the spec: start QEMUs, resync disks, start COLO; repair drift and re-protect ' +
          'degraded pairs',
  );
  if (!destroy) cmd.argument('[planfile]', 'a plan saved with `colo plan --out FILE`: carry out exactly that plan');
  cmd
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock (e.g. 30s)', '0s')
    .action(
      wire(async (...args: unknown[]) =>
        destroy
          ? runApplyCommand(name, undefined, args[0] as ApplyOptions)
          : runApplyCommand(name, args[0] as string | undefined, args[1] as ApplyOptions),
      ),
    );
}
