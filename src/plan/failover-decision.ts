/**
 * The failover's decisions, before anything is touched: which side survives and which is fenced,
 * whether the VM was failed over already, whether colo refuses (no state, a healthy pair without
 * --force, an unreachable or unfit survivor), how the other side is fenced, and what the state
 * records afterwards. Pure: from spec, state and an observation. src/engine/failover.ts carries out
 * a decision.
 */
import { forgetStarted, recordFailover } from './state-transitions.ts';
import type { HostSpec, VmSpec } from '../spec/types.ts';
import type { ColoState, FailoverRecord, VmState } from './state-model.ts';
import { failoverCount } from './state-model.ts';
import type { Observation, ObservedQemu } from './observed.ts';
import { rolesFor } from './plan-pairs.ts';
import { STOP_GRACE_SECONDS } from '../render/recipes/step-recipes.ts';

export type FailoverTarget = 'secondary' | 'primary';

/** colo will not fail this VM over (or cannot confirm the other side is fenced); nothing was changed. */
export class FailoverRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FailoverRefused';
  }
}

/** How the side that loses is made safe before the survivor is promoted. */
export type FencePlan =
  /**
   * Its host answers: stop its QEMU over SSH and confirm it is gone. A hung QEMU (no QMP answer
   * within the deadline, or stopped) cannot exit cleanly: it is SIGKILLed at once (graceSeconds 0).
   */
  | { how: 'stop-qemu'; graceSeconds: number; hung: boolean }
  /** Its host does not answer: the operator's word or the host's fence command (why: the host's error). */
  | { how: 'fence-host'; why: string };

export type FailoverDecision =
  /** The survivor already runs alone and the other side is not running: nothing to do. */
  | {
      action: 'none';
      vm: string;
      survivor: string;
      fenced: string;
      failedOverAt: string | null;
      vmState: VmState;
      /** The promotion happened but the state does not record it (its write was lost): record it now. */
      unrecorded: boolean;
    }
  | {
      action: 'promote';
      vm: string;
      to: FailoverTarget;
      survivor: string;
      loser: string;
      fence: FencePlan;
      /** The pair's roles before the failover (the primary's cleanup addresses its peer by them). */
      roles: ReturnType<typeof rolesFor>;
      vmState: VmState;
    };

/** Which hosts the failover of a VM promotes and fences. */
export function failoverSides(vm: VmSpec, state: ColoState | null, to: FailoverTarget) {
  const roles = rolesFor(vm, state);
  return to === 'secondary'
    ? { survivor: roles.secondary, loser: roles.primary, roles }
    : { survivor: roles.primary, loser: roles.secondary, roles };
}

/** Decides the failover of one VM; throws FailoverRefused when colo will not do it. */
export function decideFailover(
  vm: VmSpec,
  state: ColoState | null,
  obs: Observation,
  opts: { to: FailoverTarget; force: boolean },
): FailoverDecision {
  const { survivor, loser, roles } = failoverSides(vm, state, opts.to);
  const vs = state?.vms[vm.name];
  const sq = obs.vms[vm.name]?.qemu[survivor];
  const lq = obs.vms[vm.name]?.qemu[loser];
  const sHost = obs.hosts[survivor];
  const lHost = obs.hosts[loser];
  if (!vs) throw new FailoverRefused(`${vm.name}: colo has no record of deploying it (no state); nothing to fail over`);
  // Already failed over: the survivor runs alone and the other side is not running.
  if (
    vs.status === 'degraded' &&
    sHost?.reachable &&
    sq?.alive &&
    sq.coloMode === 'none' &&
    !(lHost?.reachable && lq?.alive)
  ) {
    const runsOn = opts.to === 'primary' ? survivor : vs.primaryHost;
    const failedOverAt = vs.lastFailover?.at ?? null;
    return {
      action: 'none',
      vm: vm.name,
      survivor: runsOn,
      fenced: loser,
      failedOverAt,
      vmState: vs,
      unrecorded: false,
    };
  }
  if (opts.to === 'secondary' && promotedUnrecorded(vs, sq, lq, !!sHost?.reachable, !!lHost?.reachable)) {
    return { action: 'none', vm: vm.name, survivor, fenced: loser, failedOverAt: null, vmState: vs, unrecorded: true };
  }
  if (vs.status === 'degraded' && opts.to === 'secondary' && !sq?.alive) {
    throw new FailoverRefused(
      `${vm.name} is degraded: it runs on ${vs.primaryHost} with no secondary to ` +
        `promote${vs.lastFailover ? ` (last failover ${vs.lastFailover.at})` : ''}`,
    );
  }
  if (!sHost?.reachable)
    throw new FailoverRefused(
      `${vm.name}: the survivor host ${survivor} is unreachable (${sHost?.error ?? 'not observed'}); cannot promote it`,
    );
  if (!sq?.alive)
    throw new FailoverRefused(`${vm.name}: no QEMU of ${vm.name} runs on ${survivor}; there is nothing to promote`);
  if (sq.hung)
    throw new FailoverRefused(
      `${vm.name}: the QEMU on ${survivor} is hung: it runs (pid ${sq.pid ?? '?'}) but gave no QMP answer within ` +
        `${sq.hung.deadlineMs} ms${sq.stopped ? ' (its process is stopped)' : ''}; a hung QEMU cannot be promoted`,
    );
  if (sq.qmpError)
    throw new FailoverRefused(`${vm.name}: the QEMU on ${survivor} does not answer QMP (${sq.qmpError})`);
  const healthy = lHost?.reachable && lq?.alive && !lq.qmpError && sq.coloMode !== 'none' && lq.coloMode !== 'none';
  if (healthy && !opts.force) {
    throw new FailoverRefused(
      `${vm.name}: the pair is healthy (both QEMUs run in COLO); a failover now drops its protection. Pass ` +
        `--force if you mean it (a planned switchover is: failover --force, then colo apply).`,
    );
  }
  const unfit = survivorUnfitness(sq, opts.to);
  if (unfit.length > 0 && !opts.force) {
    throw new FailoverRefused(
      `${vm.name}: the ${opts.to} on ${survivor} is not fit to take over: ${unfit.join('; ')}. Promoting it may ` +
        `lose the VM; pass --force to do it anyway.`,
    );
  }
  const hung = !!lq?.alive && (!!lq.hung || !!lq.stopped);
  const fence: FencePlan = lHost?.reachable
    ? { how: 'stop-qemu', graceSeconds: hung ? STOP_GRACE_SECONDS.hung : STOP_GRACE_SECONDS.failover, hung }
    : { how: 'fence-host', why: lHost?.error ?? 'not observed' };
  return { action: 'promote', vm: vm.name, to: opts.to, survivor, loser, fence, roles, vmState: vs };
}

/**
 * A failover to the secondary that ran, but whose state write was lost (colo killed right after the
 * promotion, a full or read-only state directory): the state still has the pair in COLO, yet the
 * secondary runs the guest on its own (running, COLO mode none, answering QMP) and the primary's host
 * answers with no QEMU of the VM. Promoting again would be refused (not in COLO) or fail; it only needs
 * recording. Without an answer from the primary's host colo cannot tell, and decides as usual.
 */
function promotedUnrecorded(
  vs: VmState,
  sq: ObservedQemu | undefined,
  lq: ObservedQemu | undefined,
  survivorReachable: boolean,
  loserReachable: boolean,
): boolean {
  if (vs.status === 'degraded' || !survivorReachable || !loserReachable || lq?.alive) return false;
  return !!sq?.alive && !sq.qmpError && sq.coloMode === 'none' && sq.runStatus === 'running';
}

/** Why the survivor should not take over (empty: fit): wrong COLO mode, stuck virtio device, crashed guest. */
export function survivorUnfitness(sq: ObservedQemu, to: FailoverTarget): string[] {
  const expectedMode = to === 'secondary' ? 'secondary' : 'primary';
  const unfit: string[] = [];
  if (sq.coloMode !== expectedMode && sq.coloMode !== 'none')
    unfit.push(`its COLO mode is ${sq.coloMode}, not ${expectedMode}`);
  if (to === 'secondary' && sq.coloMode === 'none')
    unfit.push('it is not in COLO (its memory may not be a consistent checkpoint)');
  for (const d of sq.virtioDisabled ?? [])
    unfit.push(`its virtio device ${d} is stuck disabled (the guest would neither send nor receive)`);
  for (const line of sq.consoleCrash ?? []) unfit.push(`its guest crashed: "${line}"`);
  for (const u of sq.healthUnknown ?? []) unfit.push(`its health is unknown (${u.query}: ${u.detail})`);
  return unfit;
}

/**
 * How an unreachable host is fenced: the operator confirmed it (--i-have-fenced), or its fence
 * command runs; without either colo refuses.
 */
export function hostFencing(
  host: string,
  hostSpec: HostSpec | undefined,
  fencedByOperator: readonly string[],
  why: string,
): { how: 'operator' } | { how: 'fence-command'; command: string[]; timeoutMs: number } {
  if (fencedByOperator.includes(host)) return { how: 'operator' };
  const fence = hostSpec?.fence;
  if (!fence) {
    throw new FailoverRefused(
      `cannot confirm that ${host} no longer runs the VM: it is unreachable (${why}) and has no fence ` +
        `command in the spec. Make sure it is powered off, then re-run with --i-have-fenced ${host}`,
    );
  }
  return { how: 'fence-command', command: fence.command, timeoutMs: fence.timeoutMs };
}

/** A fence command that did not exit 0: the host may still run the VM. */
export function fenceFailed(host: string, command: string[], r: { code: number | null; output: string }) {
  return new FailoverRefused(
    `fencing ${host} failed: ${command[0]} exited ` +
      `${r.code ?? 'without a code'}${r.output ? `: ${r.output}` : ''}. Not promoting: ${host} may ` +
      `still run the VM. If you are sure it is off, re-run with --i-have-fenced ${host}`,
  );
}

/** The VM's state after the survivor was promoted: new roles (to the secondary), degraded, the failover recorded. */
export function stateAfterFailover(
  vs: VmState,
  to: FailoverTarget,
  sides: { survivor: string; loser: string },
  record: FailoverRecord,
): VmState {
  const withoutLoser = forgetStarted(vs, sides.loser);
  // To the secondary: it is the primary now (promoted); to the primary: it runs alone where it ran.
  return to === 'secondary'
    ? recordFailover(withoutLoser, record)
    : { ...withoutLoser, status: 'degraded', lastFailover: { ...record }, failovers: failoverCount(vs) + 1 };
}
