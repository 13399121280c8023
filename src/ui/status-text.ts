/** `colo status` for people: one block per VM pair. */
import type { PairStatus, SideStatus } from '../plan/pair-status.ts';
import type { Style } from './style.ts';

function side(label: string, s: SideStatus): string {
  if (!s.reachable) return `  ${label.padEnd(9)} ${s.host}: host unreachable`;
  if (!s.running) return `  ${label.padEnd(9)} ${s.host}: no QEMU running`;
  return `  ${label.padEnd(9)} ${s.host}: pid ${s.pid}, ${s.runStatus ?? '?'}, COLO mode ${s.coloMode ?? '?'}${s.coloReason && s.coloReason !== 'none' ? ` (last exit: ${s.coloReason})` : ''}${s.migrateStatus && s.migrateStatus !== 'none' ? `, migration ${s.migrateStatus}` : ''}`;
}

export function renderStatusText(list: PairStatus[], st: Style): string {
  const out: string[] = [];
  for (const p of list) {
    const colour = p.health === 'protected' ? st.green : p.health === 'degraded' ? st.yellow : p.health === 'not-deployed' ? st.dim : st.red;
    out.push(`${st.bold(p.vm)}: ${colour(p.health.toUpperCase())} - ${p.summary}`);
    out.push(side('primary', p.primary), side('secondary', p.secondary));
    if (p.checkpoint.intervalMs !== null) out.push(`  checkpoint interval ${p.checkpoint.intervalMs} ms${p.checkpoint.compareTimeoutMs !== null ? `, compare timeout ${p.checkpoint.compareTimeoutMs} ms` : ''}`);
    out.push(`  last failover: ${p.lastFailover ? `${p.lastFailover.at} from ${p.lastFailover.from} to ${p.lastFailover.to} (${p.lastFailover.durationMs} ms)` : 'never'}`);
    out.push('');
  }
  return out.join('\n');
}
