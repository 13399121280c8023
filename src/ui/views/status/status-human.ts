/** `colo status` for people: one block per VM pair. */
import type { PairStatus, SideStatus } from '../../../plan/pair-status.ts';
import type { Style } from '../../style.ts';
import type { Output } from '../output.ts';
import type { StatusView } from './status-view.ts';

function side(label: string, s: SideStatus): string {
  if (!s.reachable) return `  ${label.padEnd(9)} ${s.host}: host unreachable`;
  if (!s.running) return `  ${label.padEnd(9)} ${s.host}: no QEMU running`;
  if (s.hung)
    return `  ${label.padEnd(9)} ${s.host}: pid ${s.pid}, HUNG: no QMP answer${s.stopped ? ', process stopped' : ''}`;
  const exit = s.coloReason && s.coloReason !== 'none' ? ` (last exit: ${s.coloReason})` : '';
  const migration = s.migrateStatus && s.migrateStatus !== 'none' ? `, migration ${s.migrateStatus}` : '';
  const mode = `COLO mode ${s.coloMode ?? '?'}${exit}${migration}`;
  return `  ${label.padEnd(9)} ${s.host}: pid ${s.pid}, ${s.runStatus ?? '?'}, ${mode}`;
}

export function renderStatusText(list: PairStatus[], st: Style): string {
  const out: string[] = [];
  for (const p of list) {
    const colour =
      p.health === 'protected'
        ? st.green
        : p.health === 'degraded'
          ? st.yellow
          : p.health === 'not-deployed'
            ? st.dim
            : st.red;
    out.push(`${st.bold(p.vm)}: ${colour(p.health.toUpperCase())} - ${p.summary}`);
    out.push(side('primary', p.primary), side('secondary', p.secondary));
    if (p.checkpoint.intervalMs !== null)
      out.push(
        `  checkpoint interval ${p.checkpoint.intervalMs} ` +
          `ms${p.checkpoint.compareTimeoutMs !== null ? `, compare timeout ${p.checkpoint.compareTimeoutMs} ms` : ''}`,
      );
    if (p.channels.length > 0)
      out.push(
        `  replication channels${p.tls ? ' (spec: tls)' : ''}: ` +
          p.channels
            .map((c) => `${c.channel} ${c.mode === 'tls' ? st.green('tls') : p.tls ? st.red(c.mode) : c.mode}`)
            .join(', '),
      );
    const lf = p.lastFailover;
    out.push(`  last failover: ${lf ? `${lf.at} from ${lf.from} to ${lf.to} (${lf.durationMs} ms)` : 'never'}`);
    out.push('');
  }
  return out.join('\n');
}

export class StatusHuman implements StatusView {
  constructor(
    private readonly output: Output,
    private readonly style: Style,
  ) {}

  status(list: PairStatus[]): void {
    this.output.out(renderStatusText(list, this.style));
  }
}
