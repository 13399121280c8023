/** A pair's checkpoint figures and advice as text lines (colo status; the advice also in plan and verify). */
import type { Advice } from '../../../plan/checkpoint-advice.ts';
import type { CheckpointFigures } from '../../../plan/checkpoint-figures.ts';
import type { Style } from '../../style.ts';

const num = (x: number): string => (x >= 100 ? String(Math.round(x)) : String(Math.round(x * 10) / 10));

export function bytesText(b: number): string {
  if (b >= 1048576) return `${num(b / 1048576)} MiB`;
  if (b >= 1024) return `${num(b / 1024)} KiB`;
  return `${b} B`;
}

export function figuresLines(f: CheckpointFigures, indent = '  '): string[] {
  const out: string[] = [];
  const total = f.total !== null ? `${f.total} since COLO started` : `total unknown (${f.totalUnavailable})`;
  const rate =
    f.sampledMs > 0 && f.perMinute !== null
      ? `; ${num(f.perMinute)}/min over the last ${num(f.sampledMs / 1000)} s (${f.sampled} seen)`
      : '';
  out.push(`${indent}checkpoints ${total}${rate}`);
  if (f.pause) {
    const p = f.pause;
    const stopped = f.stoppedPercent !== null ? `; guest stopped ${num(f.stoppedPercent)}% of the time` : '';
    out.push(
      `${indent}pause last ${num(p.lastMs)} ms, p50 ${num(p.p50Ms)} ms, p95 ${num(p.p95Ms)} ms, ` +
        `max ${num(p.maxMs)} ms (${p.count} checkpoint${p.count === 1 ? '' : 's'})${stopped}`,
    );
  }
  const parts: string[] = [];
  if (f.bytesPerCheckpoint !== null) parts.push(`${bytesText(f.bytesPerCheckpoint)} sent per checkpoint`);
  if (f.transmittedBytes !== null) parts.push(`${bytesText(f.transmittedBytes)} sent since the migration began`);
  if (f.triggers)
    parts.push(
      `triggers (estimated): ${f.triggers.timer} timer, ${f.triggers.forced} forced by colo-compare, ` +
        `${f.triggers.unclassified} unclassified`,
    );
  if (parts.length > 0) out.push(`${indent}${parts.join('; ')}`);
  return out;
}

export function adviceLines(advice: Advice[], st: Style, indent = '  '): string[] {
  return advice.map((a) => `${indent}${st.yellow('advice:')} ${a.message}`);
}
