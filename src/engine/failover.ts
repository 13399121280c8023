/**
 * Failover, the executor: promote the survivor of a pair, exactly once, never two primaries.
 * src/plan/failover-decision.ts decides (which sides, already failed over, refusals, fitness);
 * this file carries a decision out:
 * 1. fence the other side first: stop its QEMU over SSH and confirm it is gone, or run the host's
 *    fence command (on this machine, through a local Transport), or accept --i-have-fenced;
 * 2. run the QEMU-version-correct QMP sequence on the survivor, verify it runs with COLO mode none;
 * 3. return the new roles for the state (failover() writes them).
 */
import { setVm } from '../plan/state-transitions.ts';
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState, VmState } from '../plan/state-model.ts';
import type { Session } from './session.ts';
import type { StateStore } from './state-store.ts';
import { observeAll } from './observe.ts';
import type { Observation } from '../plan/observed.ts';
import { decideFailover, stateAfterFailover, type FailoverTarget } from '../plan/failover-decision.ts';
import { leaveColoOnPrimary, promoteSecondary, verifySurvivor } from './steps/failover-qmp.ts';
import { stopVmQemu } from './steps/stop-qemu.ts';
import { fenceEachHostOnce, type FenceOnce, type RunFence } from './fence.ts';

export { FailoverRefused, type FailoverTarget } from '../plan/failover-decision.ts';

export interface FailoverOptions {
  to: FailoverTarget;
  /** Hosts the operator confirms are powered off / cannot run the VM. */
  fencedByOperator: string[];
  /** Promote even a healthy pair or an unfit survivor. */
  force: boolean;
  now?: () => Date;
  /** Runs a host's fence command (argv) on this machine; resolves to the exit code. */
  runFence?: RunFence;
  progress?: (vm: string, message: string) => void;
}

export type Fencing = 'stopped-over-ssh' | 'fence-command' | 'operator' | 'not-needed';

export interface FailoverTimings {
  connectMs: number;
  fenceMs: number;
  qmpMs: number;
  verifyMs: number;
  totalMs: number;
}

/** The outcome for one VM, as data; src/ui/views/failover turns it into text or JSON. */
export type FailoverResult =
  | {
      vm: string;
      outcome: 'promoted';
      survivor: string;
      fenced: string;
      fencing: Exclude<Fencing, 'not-needed'>;
      timings: FailoverTimings;
      /** Virtio devices found disabled on the survivor after the promotion (a warning). */
      virtioDisabled: string[];
    }
  | {
      vm: string;
      outcome: 'already-failed-over';
      survivor: string;
      fenced: string;
      fencing: 'not-needed';
      timings: FailoverTimings;
      /** When the earlier failover happened, when the state recorded it. */
      failedOverAt: string | null;
    };

type AlreadyFailedOver = Extract<ReturnType<typeof decideFailover>, { action: 'none' }>;

/** Nothing to do; when another colo did the failover, the state it did not record learns the new roles. */
function alreadyFailedOver(
  vm: VmSpec,
  d: AlreadyFailedOver,
  opts: FailoverOptions,
  connectMs: number,
): { result: FailoverResult; vmState: VmState; learnt?: VmState } {
  const timings = { connectMs, fenceMs: 0, qmpMs: 0, verifyMs: 0, totalMs: 0 };
  const { survivor, fenced, failedOverAt } = d;
  const at = (opts.now ?? (() => new Date()))().toISOString();
  const record = { at, from: fenced, to: survivor, durationMs: 0 };
  const learnt = d.unrecorded ? stateAfterFailover(d.vmState, opts.to, { survivor, loser: fenced }, record) : undefined;
  const result: FailoverResult = {
    vm: vm.name,
    outcome: 'already-failed-over',
    survivor,
    fenced,
    fencing: 'not-needed',
    timings,
    failedOverAt,
  };
  return { ...(learnt ? { learnt } : {}), result, vmState: learnt ?? d.vmState };
}

export async function failoverVm(
  session: Session,
  spec: Spec,
  vm: VmSpec,
  state: ColoState | null,
  obs: Observation,
  opts: FailoverOptions,
  fenceOnce: FenceOnce,
  connectMs: number,
): Promise<{ result: FailoverResult; vmState: VmState; learnt?: VmState }> {
  const t0 = performance.now();
  const d = decideFailover(vm, state, obs, opts);
  if (d.action === 'none') return alreadyFailedOver(vm, d, opts, connectMs);
  const log = (m: string) => opts.progress?.(vm.name, m);

  const tFence = performance.now();
  let fencing: Exclude<Fencing, 'not-needed'>;
  if (d.fence.how === 'stop-qemu') {
    log(`stopping the ${d.to === 'secondary' ? 'primary' : 'secondary'} QEMU on ${d.loser}`);
    await stopVmQemu(session, vm, d.loser, 1);
    fencing = 'stopped-over-ssh';
  } else {
    fencing = await fenceOnce(d.loser, d.fence.why);
  }
  const fenceMs = Math.round(performance.now() - tFence);

  const tQmp = performance.now();
  const qmp = await session.qmp(d.survivor, vm.name);
  if (d.to === 'secondary') {
    log(`promoting the secondary on ${d.survivor}`);
    await promoteSecondary(qmp, spec, vm, d.roles);
  } else {
    log(`taking the primary on ${d.survivor} out of COLO`);
    await leaveColoOnPrimary(qmp, spec, vm, d.roles);
  }
  const qmpMs = Math.round(performance.now() - tQmp);

  const tVerify = performance.now();
  const virtioDisabled = await verifySurvivor(qmp, vm, d.survivor, d.to);
  const verifyMs = Math.round(performance.now() - tVerify);
  const totalMs = Math.round(performance.now() - t0) + connectMs;

  const record = {
    at: (opts.now ?? (() => new Date()))().toISOString(),
    from: d.loser,
    to: d.survivor,
    durationMs: totalMs,
  };
  return {
    result: {
      vm: vm.name,
      outcome: 'promoted',
      survivor: d.survivor,
      fenced: d.loser,
      fencing,
      timings: { connectMs, fenceMs, qmpMs, verifyMs, totalMs },
      virtioDisabled,
    },
    vmState: stateAfterFailover(d.vmState, d.to, { survivor: d.survivor, loser: d.loser }, record),
  };
}

/** `list` sorted by the position of each entry's VM in `vms` (stable; VMs not in `vms` last). */
export function inVmOrder<T extends { vm: string }>(vms: Pick<VmSpec, 'name'>[], list: T[]): T[] {
  const order = new Map(vms.map((vm, i) => [vm.name, i]));
  const at = (x: T) => order.get(x.vm) ?? vms.length;
  return [...list].sort((a, b) => at(a) - at(b));
}

export interface FailoverRun {
  results: FailoverResult[];
  /** The new state of each VM that was promoted. */
  states: Record<string, VmState>;
  errors: { vm: string; error: Error }[];
}

/** Fail over several VMs; each host is fenced at most once. Results and errors come in the order of `vms`. */
export async function failoverVms(
  session: Session,
  spec: Spec,
  vms: VmSpec[],
  state: ColoState | null,
  opts: FailoverOptions,
): Promise<FailoverRun> {
  const tConnect = performance.now();
  const obs = await observeAll(session, state);
  const connectMs = Math.round(performance.now() - tConnect);
  const fenceOnce = fenceEachHostOnce(spec, opts.fencedByOperator, opts.runFence);
  const results: FailoverResult[] = [];
  const states: Record<string, VmState> = {};
  const errors: { vm: string; error: Error }[] = [];
  await Promise.all(
    vms.map(async (vm) => {
      try {
        const r = await failoverVm(session, spec, vm, state, obs, opts, fenceOnce, connectMs);
        results.push(r.result);
        if (r.result.outcome === 'promoted' || r.learnt) states[vm.name] = r.vmState;
      } catch (err) {
        errors.push({ vm: vm.name, error: err as Error });
      }
    }),
  );
  // Completion order depends on timing: report in the order of `vms` (spec order) instead.
  return { results: inVmOrder(vms, results), states, errors: inVmOrder(vms, errors) };
}

/** The failover operation: fail the VMs over and record the new roles of those promoted in the state. */
export async function failover(
  session: Session,
  store: StateStore,
  vms: VmSpec[],
  opts: FailoverOptions,
): Promise<Omit<FailoverRun, 'states'>> {
  const state = await store.read();
  const { states, ...run } = await failoverVms(session, session.spec, vms, state, opts);
  if (state && Object.keys(states).length > 0) {
    await store.write(Object.entries(states).reduce((s, [name, vs]) => setVm(s, name, vs), state));
  }
  return run;
}
