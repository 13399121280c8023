/**
 * The state model (the content of colo's state file), an input of the pure planner: what observation of the hosts
 * cannot tell (which host is primary
 * now after a failover, what colo itself created and started), plus Terraform-style
 * `lineage` and `serial` to guard against mixing up or overwriting states.
 *
 * The hosts remain the source of truth for everything else. Everything here is plain JSON;
 * schemas/state.schema.json documents the format.
 */

/** The only state format version this colo reads and writes. */
export const STATE_VERSION = 1;

export interface ColoState {
  version: typeof STATE_VERSION;
  /** UUID fixed when the state is created; never changes for the life of the state. */
  lineage: string;
  /** Incremented by every write (writeState). 0 for a state never written. */
  serial: number;
  /** Version of colo that last wrote the file. */
  coloVersion: string;
  /** Per VM, keyed by the VM name of the spec. */
  vms: Record<string, VmState>;
}

export type VmRole = 'primary' | 'secondary';

export type VmStatus = 'protected' | 'degraded' | 'applying' | 'failed';

export interface VmState {
  /** Host (name from the spec) whose QEMU currently runs the guest. */
  primaryHost: string;
  /** Host that holds (or will hold again after re-protection) the replica. */
  secondaryHost: string;
  /** How the current primary's QEMU was started: as a primary, or as a secondary that took over. */
  primaryOrigin: 'primary' | 'promoted-secondary';
  status: VmStatus;
  lastFailover?: FailoverRecord;
  /** Failovers colo recorded for this VM (absent in states written before colo counted them: see failoverCount). */
  failovers?: number;
  /** Per host: the QEMU colo started there, to detect argv drift and pid changes. */
  started: Record<string, StartedProcess>;
  /** Per host: absolute paths of files colo created (overlays, base copies); never the user's images. */
  created: Record<string, string[]>;
  /** Free text for humans, e.g. why the VM is `failed`. */
  note?: string;
  /**
   * The checkpoint policy colo last applied to the running pair (x-checkpoint-delay and the
   * colo-compare properties): a running value equal to it but not to the spec is a spec change, not
   * drift.
   */
  appliedCheckpoint?: AppliedCheckpoint;
}

export interface AppliedCheckpoint {
  intervalMs: number;
  compareTimeoutMs: number;
  expiredScanCycleMs: number;
  maxQueueSize: number;
}

/** Failovers recorded for a VM; a state written before colo counted them but with a lastFailover counts 1. */
export function failoverCount(vm: VmState | undefined): number {
  return vm?.failovers ?? (vm?.lastFailover ? 1 : 0);
}

export interface FailoverRecord {
  /** ISO 8601 time the failover started. */
  at: string;
  /** Host that was primary. */
  from: string;
  /** Host that became primary. */
  to: string;
  durationMs: number;
}

export interface StartedProcess {
  role: VmRole;
  /** Hash of the argv colo rendered and started (see the engine for how it is computed). */
  argvHash: string;
  pid: number;
  /** ISO 8601 start time. */
  at: string;
}
