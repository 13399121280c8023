/**
 * The plan: what colo will do, as data. Produced by the pure planner (plan-pairs.ts), rendered by
 * src/ui/plan-human.ts and src/ui/plan-json.ts, saved by `plan -out`, and carried out by apply.
 */

import type { ClusterPlan } from './cluster-plan.ts';

/** Terraform-style actions. */
export type Action = 'create' | 'update' | 'replace' | 'delete';

/** What the executor does for a step. One function per kind in src/engine/steps/. */
export type StepKind =
  | 'host-prepare' // work directory on a host
  | 'primary-start' // start the primary QEMU (guest boots alone, no COLO yet)
  | 'primary-leave-colo' // tear down replication and proxy on the primary, leave COLO (its secondary is gone or broken)
  | 'secondary-stop' // stop a secondary QEMU (broken, drifted or to be destroyed)
  | 'primary-stop' // stop a primary QEMU (destroy, or replacement: the guest restarts)
  | 'secondary-images' // base copy + active/hidden overlays on the secondary host
  | 'secondary-start' // start the secondary QEMU with -incoming, NBD server and exports
  | 'colo-start' // disk resync over NBD, replication child, proxy objects, migrate; wait for COLO
  | 'checkpoint-update' // checkpoint / compare parameters in place
  | 'files-delete'; // remove files colo created

export interface AttributeChange {
  /** Spec-style path, e.g. "checkpoint.interval" or "machine.memory". */
  path: string;
  before?: unknown;
  after?: unknown;
  /** This difference forces the resource to be replaced. */
  forcesReplacement?: boolean;
}

export interface PlannedStep {
  /** Resource address, e.g. "vm.web.secondary", "host.alpha". */
  address: string;
  action: Action;
  kind: StepKind;
  vm?: string;
  host?: string;
  /** Why, in plain language. */
  reason: string;
  changes: AttributeChange[];
  /** For a QEMU replaced because its command line drifted: the running argv and the one the spec renders now. */
  commandLine?: { before: string[]; after: string[] };
}

/** Something that changed outside colo, found by observation. */
export interface DriftItem {
  address: string;
  vm?: string;
  host?: string;
  description: string;
}

/** A pair colo cannot repair on its own (a host is down, the primary is gone): the user must act. */
export interface BlockedPair {
  vm: string;
  reason: string;
  /** The command that resolves it, when there is one. */
  hint?: string;
}

export type PlanMode = 'normal' | 'destroy' | 'refresh-only';

export interface Plan {
  formatVersion: '1.0';
  coloVersion: string;
  mode: PlanMode;
  createdAt: string;
  specFile: string;
  /** sha256 of the resolved spec the plan was made from. */
  specHash: string;
  /** State the plan was made against: a saved plan is stale when they differ at apply time. */
  stateLineage: string | null;
  stateSerial: number;
  /** Roles per VM the plan assumes (from the state, else the spec). */
  roles: Record<string, { primary: string; secondary: string; primaryOrigin: 'primary' | 'promoted-secondary' }>;
  /** What observation learned of each host that rendering depends on (so apply renders the same argv). */
  hostFacts: Record<string, HostFacts>;
  drift: DriftItem[];
  blocked: BlockedPair[];
  steps: PlannedStep[];
  warnings: string[];
  /** The spec's clusters (absent without `cluster:`): host and CIB changes, refusals (src/plan/cluster-plan.ts). */
  clusters?: ClusterPlan[];
}

export interface HostFacts {
  qemuVersion?: { major: number; minor: number; micro: number };
  kvm: boolean;
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
}

/** Terraform counts: replace counts as one add and one destroy. */
export function summarizePlan(plan: Pick<Plan, 'steps'>): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0 };
  for (const step of plan.steps) {
    if (step.action === 'create') s.add++;
    else if (step.action === 'update') s.change++;
    else if (step.action === 'delete') s.destroy++;
    else {
      s.add++;
      s.destroy++;
    }
  }
  return s;
}

export function planHasChanges(plan: Pick<Plan, 'steps' | 'clusters'>): boolean {
  return plan.steps.length > 0 || clusterChangeCount(plan) > 0;
}

/** How many host and CIB changes the plan's clusters have. */
export function clusterChangeCount(plan: Pick<Plan, 'clusters'>): number {
  return (plan.clusters ?? []).reduce((n, c) => n + c.hostChanges.length + c.cib.length, 0);
}

/** The cluster changes' Terraform counts (a file or property set again counts as a change). */
export function summarizeClusters(plan: Pick<Plan, 'clusters'>): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0 };
  for (const c of plan.clusters ?? []) {
    for (const ch of [...c.hostChanges, ...c.cib]) {
      if (ch.action === 'create') s.add++;
      else if (ch.action === 'update') s.change++;
      else s.destroy++;
    }
  }
  return s;
}
