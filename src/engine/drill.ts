/**
 * `colo drill VM`, the workflow: verify the pair, fail it over to its secondary (stopping the
 * primary first), check the service on the new primary, re-protect it (a plan for this VM only,
 * applied), verify again; with --back a second round so the roles end where they started. It stops
 * at the first phase that fails and returns the phases as data; src/ui/views/drill shows them.
 */
import type { VmSpec } from '../spec/types.ts';
import type { Session } from './session.ts';
import type { StateStore } from './state-store.ts';
import type { ApplyHooks } from './apply-hooks.ts';
import { applyAndRecord, type ChangeCounts } from './apply.ts';
import { failover, type FailoverResult } from './failover.ts';
import { makePlan } from './make-plan.ts';
import { verifyVms, type ProbeKind, type VmVerification } from './verify.ts';

export type DrillPhaseName =
  'verify before' | 'failover to the secondary' | 'service on the new primary' | 're-protect' | 'verify after';

/** What a phase found or did. */
export type DrillFinding =
  | { kind: 'verify'; verification: VmVerification }
  | { kind: 'failover'; result: FailoverResult }
  | { kind: 'apply'; changes: ChangeCounts };

export interface DrillPhase {
  name: DrillPhaseName;
  /** 1, or 2 for the way back (--back). */
  round: number;
  ok: boolean;
  ms: number;
  /** What the phase found; absent when it failed with an error. */
  finding?: DrillFinding;
  /** Why the phase failed, when it failed with an error (a failed verification says why in its checks). */
  error?: string;
}

export interface DrillResult {
  vm: string;
  /** 2 with --back. */
  rounds: number;
  /** Every phase passed. When false, the last phase is the one that failed and no later phase ran. */
  ok: boolean;
  phases: DrillPhase[];
}

export interface DrillHooks {
  /** A phase finished (passed or failed). */
  phaseDone(phase: DrillPhase, rounds: number): void;
  /** Progress of the re-protection's apply. */
  apply: ApplyHooks;
}

export interface DrillOptions {
  back?: boolean;
  probe: ProbeKind;
}

type PhaseRun = () => Promise<{ ok: boolean; finding: DrillFinding }>;

export async function drill(
  session: Session,
  store: StateStore,
  vm: VmSpec,
  opts: DrillOptions,
  hooks: DrillHooks,
): Promise<DrillResult> {
  const rounds = opts.back ? 2 : 1;
  const phases: DrillPhase[] = [];
  const run = async (name: DrillPhaseName, round: number, fn: PhaseRun): Promise<boolean> => {
    const t0 = performance.now();
    let phase: DrillPhase;
    try {
      const { ok, finding } = await fn();
      phase = { name, round, ok, ms: Math.round(performance.now() - t0), finding };
    } catch (err) {
      phase = { name, round, ok: false, ms: Math.round(performance.now() - t0), error: (err as Error).message };
    }
    phases.push(phase);
    hooks.phaseDone(phase, rounds);
    return phase.ok;
  };
  const verify: (serviceOnly: boolean) => PhaseRun = (serviceOnly) => async () => {
    const [verification] = await verifyVms(session, session.spec, [vm], await store.read(), {
      probe: opts.probe,
      ...(serviceOnly ? { serviceOnly } : {}),
    });
    return { ok: verification!.ok, finding: { kind: 'verify', verification: verification! } };
  };
  const steps: [DrillPhaseName, PhaseRun][] = [
    ['verify before', verify(false)],
    ['failover to the secondary', () => failOver(session, store, vm)],
    ['service on the new primary', verify(true)],
    ['re-protect', () => reprotect(session, store, vm, hooks.apply)],
    ['verify after', verify(false)],
  ];
  for (let round = 1; round <= rounds; round++) {
    for (const [name, fn] of steps) {
      if (!(await run(name, round, fn))) return { vm: vm.name, rounds, ok: false, phases };
    }
  }
  return { vm: vm.name, rounds, ok: true, phases };
}

/** Fail over to the secondary, forced: the pair is healthy (the drill verified it). */
async function failOver(session: Session, store: StateStore, vm: VmSpec) {
  const r = await failover(session, store, [vm], { to: 'secondary', fencedByOperator: [], force: true });
  if (r.errors.length > 0) throw r.errors[0]!.error;
  return { ok: true, finding: { kind: 'failover' as const, result: r.results[0]! } };
}

/** Re-protect: the planner's plan for this VM alone, applied. */
async function reprotect(session: Session, store: StateStore, vm: VmSpec, hooks: ApplyHooks) {
  const state = await store.read();
  const { plan } = await makePlan(session, state, 'normal', { targets: [vm.name] });
  const blocked = plan.blocked.find((b) => b.vm === vm.name);
  if (blocked) throw new Error(blocked.reason);
  const { changes } = await applyAndRecord({ session, plan, state, store, hooks });
  return { ok: true, finding: { kind: 'apply' as const, changes } };
}
