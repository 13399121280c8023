/** `colo status` for people: one block per VM pair. */
import type { PairStatus, SideStatus } from '../../../plan/pair-status.ts';
import type { Style } from '../../style.ts';
import type { Output } from '../output.ts';
import type { StatusView, WatchFrame } from './status-view.ts';
import { adviceLines, figuresLines } from './figures-text.ts';

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
    if (p.figures) out.push(...figuresLines(p.figures));
    out.push(...adviceLines(p.advice, st));
    const lf = p.lastFailover;
    const count = p.failovers > 1 ? `; ${p.failovers} failovers in all` : '';
    out.push(`  last failover: ${lf ? `${lf.at} from ${lf.from} to ${lf.to} (${lf.durationMs} ms)${count}` : 'never'}`);
    out.push('');
  }
  return out.join('\n');
}

/** The heading line of a --watch refresh. */
export function frameHeading(f: WatchFrame): string {
  const every = `every ${Math.round(f.intervalMs / 100) / 10} s`;
  return `colo status at ${f.at.toISOString()} (${every})${f.skipped ? `: refresh skipped, ${f.skipped}` : ''}`;
}

export class StatusHuman implements StatusView {
  /** `live`: a terminal, where --watch redraws in place (like top). */
  constructor(
    private readonly output: Output,
    private readonly style: Style,
    private readonly live = false,
  ) {}

  status(list: PairStatus[]): void {
    this.output.out(renderStatusText(list, this.style));
  }

  frame(list: PairStatus[], f: WatchFrame): void {
    const text = `${this.style.bold(frameHeading(f))}\n\n${renderStatusText(list, this.style)}`;
    this.output.out(this.live ? `\u001b[H\u001b[2J${text}` : `${text}\n`);
  }
}
