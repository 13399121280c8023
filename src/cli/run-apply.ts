/**
 * The shared tail of apply and destroy: lock, carry out a plan with progress, keep the state, and
 * report exactly where each failed pair stopped.
 */
import type { Spec } from '../spec/types.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { Plan } from '../plan/plan-model.ts';
import { summarizePlan } from '../plan/plan-model.ts';
import { applyPlan, ApplyError, type GroupRunner } from '../engine/apply.ts';
import type { ApplyHooks } from '../engine/apply-hooks.ts';
import type { Session } from '../engine/session.ts';
import { newState, writeState } from '../state/state-file.ts';
import { jsonHooks, listrProgress, plainHooks } from '../ui/apply-progress.ts';
import { COLO_VERSION } from '../version.ts';

/** What an apply actually did, in Terraform's change_summary terms (a replace counts as one add and one remove). */
export interface ChangeCounts {
  add: number;
  change: number;
  remove: number;
}

export function progressFor(json: boolean | undefined): { hooks: ApplyHooks; runner?: GroupRunner } {
  const out = (l: string) => process.stdout.write(`${l}\n`);
  if (json) return { hooks: jsonHooks(out) };
  if (process.stdout.isTTY && !process.env.CI) return listrProgress();
  return { hooks: plainHooks(out) };
}

/** Describes where a pair stands after a failed step, from the state colo kept. */
export function describePairState(vm: string, state: ColoState): string {
  const v = state.vms[vm];
  if (!v) return 'nothing was started for it';
  const started = Object.entries(v.started).map(([h, s]) => `${s.role} QEMU running on ${h} (pid ${s.pid})`);
  return `${started.length > 0 ? started.join(', ') : 'no QEMU started by colo'}; status ${v.status}`;
}

export async function runApply(opts: {
  session: Session;
  spec: Spec;
  plan: Plan;
  state: ColoState | null;
  statePath: string;
  json?: boolean;
  progress?: { hooks: ApplyHooks; runner?: GroupRunner };
}): Promise<{ state: ColoState; summary: string; changes: ChangeCounts }> {
  const { plan } = opts;
  let state = opts.state ?? newState(COLO_VERSION);
  const { hooks, runner } = opts.progress ?? progressFor(opts.json);
  const res = await applyPlan({
    session: opts.session,
    plan,
    state,
    hooks,
    ...(runner ? { runner } : {}),
    saveState: (s) => writeState(opts.statePath, s),
  });
  state = res.state;
  // Pairs destroyed completely (destroy, or no longer in the spec) leave the state.
  // A blocked pair (e.g. a host that could not be reached) is not gone: it stays.
  const failedVms = new Set([...res.failures.map((f) => f.vm), ...plan.blocked.map((b) => b.vm)].filter(Boolean));
  const removable = Object.keys(state.vms).filter(
    (vm) =>
      !failedVms.has(vm) &&
      (plan.mode === 'destroy'
        ? plan.roles[vm] !== undefined
        : plan.roles[vm] === undefined && plan.steps.some((s) => s.vm === vm)),
  );
  // Every apply that ran steps ends with a state write (Terraform-style): a saved plan made
  // before it is stale from now on, even when no step changed what the state records.
  const vms = { ...state.vms };
  for (const vm of removable) delete vms[vm];
  if (res.done.length > 0 || removable.length > 0) state = await writeState(opts.statePath, { ...state, vms });
  if (res.failures.length > 0) {
    const lines = res.failures.map(
      (f) =>
        `  ${f.vm ?? f.step.host}: stopped at ${f.step.address} (${f.step.kind}): ${f.error.message}\n    now: ` +
        `${f.vm ? describePairState(f.vm, state) : 'host not prepared'}`,
    );
    throw new ApplyError(
      `apply failed for ${res.failures.length} step${res.failures.length === 1 ? '' : 's'}; ${res.done.length} ` +
        `of ${plan.steps.length} steps done\n${lines.join('\n')}\nFix the cause and run "colo apply" again: it ` +
        `continues from the state the hosts are in.`,
      res.failures,
    );
  }
  const s = summarizePlan({ steps: res.done });
  const summary =
    plan.mode === 'destroy'
      ? `Destroy complete! Resources: ${s.destroy} destroyed.`
      : `Apply complete! Resources: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed.`;
  return { state, summary, changes: { add: s.add, change: s.change, remove: s.destroy } };
}
