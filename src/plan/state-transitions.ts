/**
 * The state's pure transitions: each returns a new object and leaves its arguments untouched. The
 * engine's steps record what they did with these (and only these); src/state reads and writes the
 * file; apply's state writer and failover (src/engine/apply.ts, src/engine/failover.ts,
 * src/plan/failover-decision.ts) use the whole-state ones.
 */
import type { VmSpec } from '../spec/types.ts';
import type { AppliedCheckpoint, ColoState, FailoverRecord, StartedProcess, VmState } from './state-model.ts';
import { failoverCount } from './state-model.ts';

/** A VM entry for a pair that is about to be applied for the first time. */
export function newVmState(primaryHost: string, secondaryHost: string): VmState {
  return { primaryHost, secondaryHost, primaryOrigin: 'primary', status: 'applying', started: {}, created: {} };
}

/** Sets (or replaces) the entry of VM `name`. */
export function setVm(state: ColoState, name: string, vm: VmState): ColoState {
  return { ...state, vms: { ...state.vms, [name]: vm } };
}

/**
 * Replaces the entry of VM `name` with `update(current)`; `current` is undefined when the VM has
 * no entry yet.
 */
export function updateVm(state: ColoState, name: string, update: (vm: VmState | undefined) => VmState): ColoState {
  return setVm(state, name, update(state.vms[name]));
}

/** Removes VM `name` (after destroy). */
export function removeVm(state: ColoState, name: string): ColoState {
  const { [name]: _removed, ...rest } = state.vms;
  return { ...state, vms: rest };
}

export function withStatus(vm: VmState, status: VmState['status'], note?: string): VmState {
  const { note: _old, ...rest } = vm;
  return note === undefined ? { ...rest, status } : { ...rest, status, note };
}

/** Records the QEMU colo started on `host`. */
export function recordStarted(vm: VmState, host: string, started: StartedProcess): VmState {
  return { ...vm, started: { ...vm.started, [host]: { ...started } } };
}

/** Forgets the QEMU on `host` (it was stopped or is gone). */
export function forgetStarted(vm: VmState, host: string): VmState {
  const { [host]: _gone, ...rest } = vm.started;
  return { ...vm, started: rest };
}

/** Adds files colo created on `host` (duplicates are ignored, order kept). */
export function recordCreated(vm: VmState, host: string, files: readonly string[]): VmState {
  const list = [...(vm.created[host] ?? [])];
  for (const f of files) if (!list.includes(f)) list.push(f);
  return { ...vm, created: { ...vm.created, [host]: list } };
}

/** Forgets files on `host` (all of them when `files` is omitted), after they were deleted. */
export function forgetCreated(vm: VmState, host: string, files?: readonly string[]): VmState {
  const { [host]: list = [], ...rest } = vm.created;
  const kept = files === undefined ? [] : list.filter((f) => !files.includes(f));
  return { ...vm, created: kept.length > 0 ? { ...rest, [host]: kept } : rest };
}

/**
 * Records a failover: `event.to` becomes the primary (a promoted secondary), `event.from` the
 * host to re-protect onto, and the VM runs without a replica (`degraded`) until re-protected.
 */
export function recordFailover(vm: VmState, event: FailoverRecord): VmState {
  return {
    ...vm,
    primaryHost: event.to,
    secondaryHost: event.from,
    primaryOrigin: 'promoted-secondary',
    status: 'degraded',
    lastFailover: { ...event },
    failovers: failoverCount(vm) + 1,
  };
}

// ---------------------------------------------------------------------------------------------
// What each step records.
// ---------------------------------------------------------------------------------------------

/** What the state records as applied: the checkpoint settings QEMU holds while COLO runs. */
export function appliedCheckpointOf(vm: VmSpec): AppliedCheckpoint {
  const c = vm.checkpoint;
  return {
    intervalMs: c.intervalMs,
    compareTimeoutMs: c.compareTimeoutMs,
    expiredScanCycleMs: c.expiredScanCycleMs,
    maxQueueSize: c.maxQueueSize,
  };
}

/** primary-start: the pair (re)starts from a primary colo started, applying. */
export function primaryStarted(
  prev: VmState | undefined,
  roles: { primary: string; secondary: string },
  started: StartedProcess,
): VmState {
  const base = prev ?? newVmState(roles.primary, roles.secondary);
  const vm: VmState = {
    ...base,
    primaryHost: roles.primary,
    secondaryHost: roles.secondary,
    primaryOrigin: 'primary',
    status: 'applying',
  };
  return recordStarted(vm, roles.primary, started);
}

/** secondary-start (nothing without an entry: the primary's step creates it). */
export function secondaryStarted(
  prev: VmState | undefined,
  host: string,
  started: StartedProcess,
): VmState | undefined {
  return prev ? recordStarted(prev, host, started) : prev;
}

/** secondary-images: the secondary's image files. */
export function imagesCreated(prev: VmState | undefined, host: string, files: readonly string[]): VmState | undefined {
  return prev ? recordCreated(prev, host, files) : prev;
}

/** colo-start: in COLO with this checkpoint policy; an earlier failure's note is gone. */
export function protectedWith(prev: VmState | undefined, applied: AppliedCheckpoint): VmState | undefined {
  return prev ? { ...withStatus(prev, 'protected'), appliedCheckpoint: applied } : prev;
}

/** checkpoint-update: the policy now applied in place. */
export function checkpointApplied(prev: VmState | undefined, applied: AppliedCheckpoint): VmState | undefined {
  return prev ? { ...prev, appliedCheckpoint: applied } : prev;
}

/** primary-leave-colo: the primary runs alone. */
export function leftColo(prev: VmState | undefined): VmState | undefined {
  return prev ? { ...prev, status: 'degraded' } : prev;
}

/** secondary-stop: a protected pair is degraded now. */
export function secondaryStopped(prev: VmState | undefined, host: string): VmState | undefined {
  if (!prev) return prev;
  const vm = forgetStarted(prev, host);
  return { ...vm, status: vm.status === 'protected' ? 'degraded' : vm.status };
}

/** primary-stop: the guest is down until a new primary starts. */
export function primaryStopped(prev: VmState | undefined, host: string): VmState | undefined {
  return prev ? { ...forgetStarted(prev, host), status: 'applying' } : prev;
}

/**
 * files-delete: which of the files colo created on `host` stay. A promoted primary's base copy
 * holds the VM's disk since the failover: it is kept.
 */
export function filesKept(vm: VmState | undefined, host: string): string[] {
  const files = vm?.created[host] ?? [];
  return vm && vm.primaryOrigin === 'promoted-secondary' && vm.primaryHost === host
    ? files.filter((f) => f.endsWith('-base.qcow2'))
    : [];
}
