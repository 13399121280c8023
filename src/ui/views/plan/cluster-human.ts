/** The clusters' part of the human plan: refusals, then per cluster its host and CIB changes with + ~ - and reasons. */
import type { Plan } from '../../../plan/plan-model.ts';
import { summarizeClusters } from '../../../plan/plan-model.ts';
import type { Style } from '../../style.ts';

const SYMBOL = { create: '+', update: '~', delete: '-' } as const;

function paint(action: 'create' | 'update' | 'delete', st: Style, s: string): string {
  return action === 'create' ? st.green(s) : action === 'update' ? st.yellow(s) : st.red(s);
}

export function clusterRefusalLines(plan: Pick<Plan, 'clusters'>, st: Style): string[] {
  const out: string[] = [];
  for (const c of plan.clusters ?? []) {
    for (const r of c.refusals) out.push(st.red(st.bold(`Error: cluster ${c.name}: apply refuses: `)) + r, '');
  }
  return out;
}

export function clusterChangeLines(plan: Pick<Plan, 'clusters'>, st: Style): string[] {
  const out: string[] = [];
  for (const c of plan.clusters ?? []) {
    if (c.hostChanges.length + c.cib.length === 0) continue;
    out.push(st.bold(`  # cluster ${c.name} (${c.hosts.join(', ')})`));
    for (const h of c.hostChanges) {
      out.push(`${paint(h.action, st, SYMBOL[h.action].padStart(3))} ${h.host}: ${h.path ?? h.kind}`);
      out.push(st.dim(`      # ${h.reason}`));
    }
    if (c.cib.length > 0 && !c.cibObserved) {
      out.push(
        st.dim('      # the CIB (Pacemaker does not run yet; apply compares again once the cluster has formed):'),
      );
    }
    for (const ch of c.cib) {
      const values =
        ch.before !== undefined || ch.after !== undefined
          ? ` = ${ch.before ?? '(none)'} -> ${ch.after ?? '(none)'}`
          : '';
      out.push(`${paint(ch.action, st, SYMBOL[ch.action].padStart(3))} cib ${ch.address}${values}`);
      out.push(st.dim(`      # ${ch.reason}`));
    }
    out.push('');
  }
  if (out.length > 0) {
    const s = summarizeClusters(plan);
    out.push(st.bold(`Cluster: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`));
  }
  return out;
}
