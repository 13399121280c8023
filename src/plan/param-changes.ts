/** Checkpoint and colo-compare parameters that differ from the spec: changed in place, no restart. */
import type { ObservedQemu } from './observed.ts';
import type { PairExpectation } from './pair-expectation.ts';
import type { PlannedStep } from './plan-model.ts';

/** colo-compare QOM property -> the spec's checkpoint field that sets it. */
const COMPARE_PROP_FIELDS: Record<string, string> = {
  compare_timeout: 'compareTimeout',
  expired_scan_cycle: 'expiredScanCycle',
  max_queue_size: 'maxQueueSize',
};

export function paramChanges(q: ObservedQemu, exp: PairExpectation): PlannedStep['changes'] {
  const changes: PlannedStep['changes'] = [];
  for (const [k, v] of Object.entries(exp.migrateParams)) {
    const cur = q.migrateParams?.[k];
    if (cur !== v)
      changes.push({
        path: k === 'x-checkpoint-delay' ? 'checkpoint.interval' : `migrate.${k}`,
        before: cur,
        after: v,
      });
  }
  for (const [obj, props] of Object.entries(exp.compareProps)) {
    for (const [k, v] of Object.entries(props)) {
      const cur = q.compareProps?.[obj]?.[k];
      if (cur !== undefined && cur !== v)
        changes.push({ path: `checkpoint.${COMPARE_PROP_FIELDS[k] ?? k} (${obj})`, before: cur, after: v });
    }
  }
  return changes;
}
