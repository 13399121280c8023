/**
 * Failover, the executor: promote the survivor of a pair, exactly once, never two primaries.
 * src/plan/failover-decision.ts decides (which sides, already failed over, refusals, fitness);
 * this file carries a decision out:
 * 1. fence the other side first: stop its QEMU over SSH and confirm it is gone, or run the host's
 *    fence command (on this machine, through a local Transport), or accept --i-have-fenced;
 * 2. run the QEMU-version-correct QMP sequence on the survivor, announce its NICs (announce-self,
 *    unless the spec turns it off), verify it runs with COLO mode none;
 * 3. return the new roles for the state (failover() writes them).
 */
import { setVm } from '../plan/state-transitions.ts';
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState, VmState } from '../plan/state-model.ts';
import type { Session } from './session.ts';
import type { StateStore } from './state-store.ts';
import { observeAll, type ObserveOptions } from './observe.ts';
import type { Observation } from '../plan/observed.ts';
import {
  decideFailover,
  failoverSides,
  stateAfterFailover,
  type FailoverDecision,
  type FailoverTarget,
} from '../plan/failover-decision.ts';
import {
  announceSurvivor,
  leaveColoOnPrimary,
  promoteSecondary,
  verifySurvivor,
  yankSurvivor,
  type AnnounceOutcome,
} from './steps/failover-qmp.ts';
import { stopVmQemu } from './steps/stop-qemu.ts';
import { fenceEachHostOnce, type FenceOnce, type RunFence } from './fence.ts';
import type { AfterStepHook } from './after-step-hook.ts';

export { FailoverRefused, type FailoverTarget } from '../plan/failover-decision.ts';

/** The steps of a failover, in order, as src/render/recipes/vm-recipes.ts names them (and the test hook). */
export const FAILOVER_STEPS = ['fence', 'promote'] as const;

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
  /**
   * The health deadline, ms: the side to fence counts as hung when its QEMU gives no QMP answer
   * within it (it is then SIGKILLed at once). The survivor gets the usual 10 s. Default 500 ms.
   */
  healthDeadlineMs?: number;
  /** A test hook run after the fence and after the promotion (src/engine/after-step-hook.ts). */
  afterStep?: AfterStepHook;
}

export const DEFAULT_HEALTH_DEADLINE_MS = 500;
/** What the SSH part of observing a host to fence may take beyond the health deadline (connect, handshake, script). */
export const HOST_DEADLINE_EXTRA_MS = 1500;

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
      /** The survivor's announce-self right after the promotion (failed: a warning). */
      announce: AnnounceOutcome;
      /** The survivor's connections to the fenced side that were yanked (out-of-band) before the promotion. */
      yanked: string[];
      /** The fenced side was hung (no QMP answer within the deadline, or stopped): killed at once. */
      fencedHung: boolean;
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
      /** The state had not recorded that failover (its write was lost); this run recorded it. */
      recordedNow?: true;
    };

/** The losing side made safe: its QEMU stopped over SSH (a hung one killed at once), or its host fenced. */
async function fenceLoser(
  session: Session,
  vm: VmSpec,
  d: Extract<FailoverDecision, { action: 'promote' }>,
  fenceOnce: FenceOnce,
  log: (m: string) => void,
): Promise<Exclude<Fencing, 'not-needed'>> {
  if (d.fence.how !== 'stop-qemu') return fenceOnce(d.loser, d.fence.why);
  const lost = d.to === 'secondary' ? 'primary' : 'secondary';
  log(`${d.fence.hung ? 'killing the hung' : 'stopping the'} ${lost} QEMU on ${d.loser}`);
  await stopVmQemu(session, vm, d.loser, d.fence.graceSeconds);
  return 'stopped-over-ssh';
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
): Promise<{ result: FailoverResult; vmState: VmState }> {
  const t0 = performance.now();
  const d = decideFailover(vm, state, obs, opts);
  if (d.action === 'none') return alreadyFailedOver(d, connectMs, opts.now ?? (() => new Date()));
  const log = (m: string) => opts.progress?.(vm.name, m);

  const tFence = performance.now();
  const fencing = await fenceLoser(session, vm, d, fenceOnce, log);
  const fenceMs = Math.round(performance.now() - tFence);
  const loserRole = d.to === 'secondary' ? 'primary' : 'secondary';
  await opts.afterStep?.({ step: FAILOVER_STEPS[0], host: d.loser, address: `vm.${vm.name}.${loserRole}` });

  const tQmp = performance.now();
  const qmp = await session.qmp(d.survivor, vm.name);
  const yanked = await yankSurvivor(qmp, spec, vm, d.roles, d.to);
  if (yanked.length > 0) log(`freed the ${d.to} on ${d.survivor} from ${d.loser}: yanked ${yanked.join(', ')}`);
  if (d.to === 'secondary') {
    log(`promoting the secondary on ${d.survivor}`);
    await promoteSecondary(qmp, spec, vm, d.roles);
  } else {
    log(`taking the primary on ${d.survivor} out of COLO`);
    await leaveColoOnPrimary(qmp, spec, vm, d.roles);
  }
  if (vm.failover.announce !== false) log(`announcing ${vm.name}'s NICs from ${d.survivor} (announce-self)`);
  const announce = await announceSurvivor(qmp, spec, vm, d.roles, d.to);
  const qmpMs = Math.round(performance.now() - tQmp);

  const tVerify = performance.now();
  const virtioDisabled = await verifySurvivor(qmp, vm, d.survivor, d.to);
  const verifyMs = Math.round(performance.now() - tVerify);
  const totalMs = Math.round(performance.now() - t0) + connectMs;
  await opts.afterStep?.({ step: FAILOVER_STEPS[1], host: d.survivor, address: `vm.${vm.name}.${d.to}` });

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
      announce,
      yanked,
      fencedHung: d.fence.how === 'stop-qemu' && d.fence.hung,
    },
    vmState: stateAfterFailover(d.vmState, d.to, { survivor: d.survivor, loser: d.loser }, record),
  };
}

/**
 * Nothing to promote: the VM already runs alone on the survivor. When the state never recorded that
 * failover (its write was lost), the new roles are recorded now, `at` being the time colo found it.
 */
function alreadyFailedOver(
  d: Extract<ReturnType<typeof decideFailover>, { action: 'none' }>,
  connectMs: number,
  now: () => Date,
): { result: FailoverResult; vmState: VmState } {
  const timings = { connectMs, fenceMs: 0, qmpMs: 0, verifyMs: 0, totalMs: 0 };
  const { survivor, fenced, failedOverAt } = d;
  const vmState = d.unrecorded
    ? stateAfterFailover(
        d.vmState,
        'secondary',
        { survivor, loser: fenced },
        { at: now().toISOString(), from: fenced, to: survivor, durationMs: 0 },
      )
    : d.vmState;
  return {
    result: {
      vm: d.vm,
      outcome: 'already-failed-over',
      survivor,
      fenced,
      fencing: 'not-needed',
      timings,
      failedOverAt,
      ...(d.unrecorded ? { recordedNow: true as const } : {}),
    },
    vmState,
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

/**
 * The sides to fence get the health deadline for QMP, and their hosts that plus HOST_DEADLINE_EXTRA_MS
 * for SSH (a host cut off costs that, then it is fenced as unreachable); the survivors (to promote)
 * and their hosts the usual time. QMP connections negotiate OOB: the yank goes over them.
 */
export function failoverObserveOptions(vms: VmSpec[], state: ColoState | null, opts: FailoverOptions): ObserveOptions {
  const survivors = new Set<string>();
  const survivorHosts = new Set<string>();
  for (const vm of vms) {
    const s = failoverSides(vm, state, opts.to).survivor;
    survivors.add(`${vm.name}\u0000${s}`);
    survivorHosts.add(s);
  }
  const deadline = opts.healthDeadlineMs ?? DEFAULT_HEALTH_DEADLINE_MS;
  return {
    oob: true,
    qmpDeadlineFor: (vm, host) => (survivors.has(`${vm}\u0000${host}`) ? undefined : deadline),
    hostTimeoutFor: (host) => (survivorHosts.has(host) ? undefined : deadline + HOST_DEADLINE_EXTRA_MS),
  };
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
  const obs = await observeAll(session, state, failoverObserveOptions(vms, state, opts));
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
        if (r.result.outcome === 'promoted' || r.result.recordedNow) states[vm.name] = r.vmState;
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
