/**
 * The executor: runs a plan's steps in dependency order (host preparation first, then each VM
 * pair's steps in sequence, pairs in parallel), records progress in the state after every step,
 * and stops a pair at its first failure, saying exactly where it stopped. `applyAndRecord` is the
 * operation apply, destroy and the drill's re-protection call.
 */
import { removeVm, setVm } from '../plan/state-transitions.ts';
import type { Plan, PlannedStep } from '../plan/plan-model.ts';
import { summarizePlan } from '../plan/plan-model.ts';
import type { ApplyHooks } from './apply-hooks.ts';
import type { AfterStepHook } from './after-step-hook.ts';
import type { Session } from './session.ts';
import type { StateStore } from './state-store.ts';
import type { ColoState, VmState } from '../plan/state-model.ts';
import { describePairState, vmsLeavingState } from '../plan/state-after-apply.ts';
import { newState } from '../state/state-file.ts';
import { COLO_VERSION } from '../version.ts';
import { runStep, type StepContext } from './steps/run-step.ts';

export class ApplyError extends Error {
  constructor(
    message: string,
    readonly failures: { vm?: string; step: PlannedStep; error: Error }[],
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

/** Runs the pairs' step chains: in parallel by default; the UI may supply one (listr2) that shows them. */
export type GroupRunner = (
  groups: { name: string; steps: PlannedStep[] }[],
  runChain: (group: { name: string; steps: PlannedStep[] }) => Promise<void>,
) => Promise<void>;

export const parallelGroups: GroupRunner = async (groups, runChain) => {
  await Promise.all(groups.map((g) => runChain(g)));
};

export interface ApplyOptions {
  session: Session;
  runner?: GroupRunner;
  plan: Plan;
  state: ColoState;
  hooks: ApplyHooks;
  /** Persist the state (serialised by the caller); called after every step that changed it. */
  saveState: (state: ColoState) => Promise<ColoState>;
  now?: () => Date;
  /** A test hook run after each step that succeeded (src/engine/after-step-hook.ts). */
  afterStep?: AfterStepHook;
}

export interface ApplyResult {
  state: ColoState;
  done: PlannedStep[];
  failures: { vm?: string; step: PlannedStep; error: Error }[];
  skipped: PlannedStep[];
}

/** Serialises state updates from parallel pairs. */
class StateWriter {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    public state: ColoState,
    private readonly save: (s: ColoState) => Promise<ColoState>,
  ) {}
  update(vm: string, fn: (prev: VmState | undefined) => VmState | undefined): Promise<void> {
    const run = async () => {
      const next = fn(this.state.vms[vm]);
      const nextState = next ? setVm(this.state, vm, next) : removeVm(this.state, vm);
      // saveState returns the state as written (serial incremented): keep that one
      this.state = await this.save(nextState);
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const { plan, hooks, session } = opts;
  const writer = new StateWriter(opts.state, opts.saveState);
  const result: ApplyResult = { state: opts.state, done: [], failures: [], skipped: [] };
  const now = opts.now ?? (() => new Date());

  const exec = async (step: PlannedStep): Promise<boolean> => {
    const t0 = performance.now();
    hooks.stepStart(step);
    const ctx: StepContext = {
      session,
      spec: session.spec,
      plan,
      step,
      state: () => writer.state,
      updateVm: (vm, fn) => writer.update(vm, fn),
      progress: (m) => hooks.stepProgress(step, m),
      now,
    };
    try {
      const detail = await runStep(ctx);
      hooks.stepDone(step, Math.round(performance.now() - t0), detail);
      result.done.push(step);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      hooks.stepFailed(step, Math.round(performance.now() - t0), error);
      result.failures.push({ ...(step.vm ? { vm: step.vm } : {}), step, error });
      return false;
    }
    await opts.afterStep?.({ step: step.kind, address: step.address, ...(step.host ? { host: step.host } : {}) });
    return true;
  };

  // 1. Host preparation, all hosts in parallel.
  const hostSteps = plan.steps.filter((s) => !s.vm);
  const hostOk = new Map<string, boolean>();
  await Promise.all(hostSteps.map(async (s) => hostOk.set(s.host ?? '', await exec(s))));

  // 2. Pairs in parallel, each pair's steps in order.
  const byVm = new Map<string, PlannedStep[]>();
  for (const s of plan.steps) if (s.vm) byVm.set(s.vm, [...(byVm.get(s.vm) ?? []), s]);
  await (opts.runner ?? parallelGroups)(
    [...byVm.entries()].map(([name, steps]) => ({ name, steps })),
    async ({ name: vm, steps }) => {
      const roles = plan.roles[vm];
      const badHost = roles && [roles.primary, roles.secondary].find((h) => hostOk.get(h) === false);
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        if (badHost) {
          hooks.stepSkipped(step, `host ${badHost} could not be prepared`);
          result.skipped.push(step);
          continue;
        }
        if (!(await exec(step))) {
          const failure = result.failures[result.failures.length - 1]!;
          for (const rest of steps.slice(i + 1)) {
            hooks.stepSkipped(rest, `${step.address} failed`);
            result.skipped.push(rest);
          }
          await writer.update(vm, (prev) =>
            prev
              ? {
                  ...prev,
                  status: 'failed',
                  note: `apply stopped at ${step.address} (${step.kind}): ${failure.error.message}`,
                }
              : prev,
          );
          break;
        }
      }
    },
  );
  result.state = writer.state;
  return result;
}

/** What an apply did, in Terraform's change_summary terms (a replace counts as one add and one remove). */
export interface ChangeCounts {
  add: number;
  change: number;
  remove: number;
}

export interface ApplyOutcome {
  /** The state as last written (or as it was, when the plan had no steps). */
  state: ColoState;
  changes: ChangeCounts;
  /** VMs that left the state (destroyed completely). */
  removed: string[];
}

/**
 * Carries out a plan and keeps the state: the state is written after every step and once at the
 * end, when the pairs destroyed completely leave it. A plan without steps changes nothing. Throws
 * ApplyError, saying where each failed pair stopped, when a step failed.
 */
export async function applyAndRecord(opts: {
  session: Session;
  plan: Plan;
  state: ColoState | null;
  store: StateStore;
  hooks: ApplyHooks;
  runner?: GroupRunner;
  afterStep?: AfterStepHook;
}): Promise<ApplyOutcome> {
  const { plan } = opts;
  let state = opts.state ?? newState(COLO_VERSION);
  if (plan.steps.length === 0) return { state, changes: { add: 0, change: 0, remove: 0 }, removed: [] };
  const res = await applyPlan({
    session: opts.session,
    plan,
    state,
    hooks: opts.hooks,
    ...(opts.runner ? { runner: opts.runner } : {}),
    ...(opts.afterStep ? { afterStep: opts.afterStep } : {}),
    saveState: (s) => opts.store.write(s),
  });
  state = res.state;
  const failedVms = res.failures.flatMap((f) => (f.vm ? [f.vm] : []));
  const removed = vmsLeavingState(plan, state, failedVms);
  // Every apply that ran steps ends with a state write (Terraform-style): a saved plan made
  // before it is stale from now on, even when no step changed what the state records.
  const kept = removed.reduce(removeVm, state);
  if (res.done.length > 0 || removed.length > 0) state = await opts.store.write(kept);
  if (res.failures.length > 0) throw applyError(res, plan, state);
  const s = summarizePlan({ steps: res.done });
  return { state, changes: { add: s.add, change: s.change, remove: s.destroy }, removed };
}

function applyError(res: ApplyResult, plan: Plan, state: ColoState): ApplyError {
  const lines = res.failures.map(
    (f) =>
      `  ${f.vm ?? f.step.host}: stopped at ${f.step.address} (${f.step.kind}): ${f.error.message}\n    now: ` +
      `${f.vm ? describePairState(f.vm, state) : 'host not prepared'}`,
  );
  return new ApplyError(
    `apply failed for ${res.failures.length} step${res.failures.length === 1 ? '' : 's'}; ${res.done.length} ` +
      `of ${plan.steps.length} steps done\n${lines.join('\n')}\nFix the cause and run "colo apply" again: it ` +
      `continues from the state the hosts are in.`,
    res.failures,
  );
}
