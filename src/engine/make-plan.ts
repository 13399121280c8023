/** Observe, then plan: the refresh + diff every planning command runs (optionally for some VMs only). */
import type { ColoState } from '../plan/state-model.ts';
import type { Plan, PlanMode } from '../plan/plan-model.ts';
import type { Session } from './session.ts';
import type { Observation } from '../plan/observed.ts';
import { observeAll } from './observe.ts';
import { makePlanFrom } from '../plan/plan.ts';
import { targetPlan } from '../plan/plan-target.ts';
import { COLO_VERSION } from '../version.ts';
import { planClusters } from './cluster/plan-clusters.ts';

export class HostKeyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostKeyError';
  }
}

export interface MakePlanOptions {
  now?: Date;
  /** Plan only these VMs (their steps and the host preparation they need); default: every VM. */
  targets?: string[];
  /** The health deadline for QMP (ms): a QEMU silent that long counts as hung (default 10 s). */
  qmpDeadlineMs?: number;
  /**
   * The spec file's text: with it, and a `cluster:` in the spec, the plan covers the clusters too
   * (the text is what apply copies to each cluster host). plan and apply pass it.
   */
  specText?: string;
}

export async function makePlan(
  session: Session,
  state: ColoState | null,
  mode: PlanMode,
  opts: MakePlanOptions = {},
): Promise<{ plan: Plan; observation: Observation }> {
  const observation = await observeAll(
    session,
    state,
    opts.qmpDeadlineMs !== undefined ? { qmpDeadlineMs: opts.qmpDeadlineMs } : {},
  );
  // A refused host key is never "host down": it is a security decision the user must make.
  const keyErrors = Object.values(observation.hosts).filter((h) => h.errorKind === 'HostKeyError');
  if (keyErrors.length > 0) throw new HostKeyRefused(keyErrors.map((h) => h.error ?? h.name).join('\n'));
  const plan = makePlanFrom({
    spec: session.spec,
    state,
    observation,
    mode,
    now: (opts.now ?? new Date()).toISOString(),
    coloVersion: COLO_VERSION,
  });
  if (session.spec.cluster && opts.specText !== undefined && mode !== 'destroy') {
    plan.clusters = await planClusters(session, opts.specText);
    for (const c of plan.clusters) {
      for (const ch of c.cib.filter((x) => x.drift)) {
        plan.drift.push({ address: `cluster.${c.name}.${ch.address}`, description: ch.reason });
      }
    }
  }
  return { plan: opts.targets ? targetPlan(plan, opts.targets) : plan, observation };
}
