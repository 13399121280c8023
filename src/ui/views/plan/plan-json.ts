/** `colo plan --json`: one document, schema in schemas/plan.schema.json (format_version 1.0). */
import type { Plan } from '../../../plan/plan-model.ts';
import { clusterChangeCount, summarizeClusters, summarizePlan } from '../../../plan/plan-model.ts';
import type { Output } from '../output.ts';
import type { PlanView, PlanViewOptions } from './plan-view.ts';
import type { Advice } from '../../../plan/checkpoint-advice.ts';

const ACTIONS = { create: ['create'], update: ['update'], replace: ['delete', 'create'], delete: ['delete'] } as const;

export function renderPlanJson(plan: Plan, advice: Advice[] = []): string {
  const doc = {
    format_version: plan.formatVersion,
    colo_version: plan.coloVersion,
    mode: plan.mode,
    timestamp: plan.createdAt,
    spec_file: plan.specFile,
    state: { lineage: plan.stateLineage, serial: plan.stateSerial },
    roles: plan.roles,
    resource_drift: plan.drift,
    blocked: plan.blocked,
    resource_changes: plan.steps.map((s) => ({
      address: s.address,
      kind: s.kind,
      vm: s.vm ?? null,
      host: s.host ?? null,
      action_reason: s.reason,
      change: { actions: ACTIONS[s.action], attributes: s.changes },
    })),
    warnings: plan.warnings,
    advice,
    summary: summarizePlan(plan),
    ...(plan.clusters
      ? {
          clusters: plan.clusters.map((c) => ({
            name: c.name,
            hosts: c.hosts,
            refusals: c.refusals,
            cib_observed: c.cibObserved,
            host_changes: c.hostChanges,
            cib_changes: c.cib.map((x) => ({
              address: x.address,
              action: x.action,
              action_reason: x.reason,
              drift: x.drift,
              before: x.before ?? null,
              after: x.after ?? null,
            })),
          })),
          cluster_summary: summarizeClusters(plan),
        }
      : {}),
    changes: plan.steps.length > 0 || clusterChangeCount(plan) > 0,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export class PlanJson implements PlanView {
  constructor(private readonly output: Output) {}

  plan(plan: Plan, opts: PlanViewOptions = {}): void {
    this.output.out(renderPlanJson(plan, opts.advice));
  }
}
