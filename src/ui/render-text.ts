/**
 * `colo render` output: per VM and host, the commands colo would run, as a person would type them
 * (argv shell-quoted for display only) and the QMP sequences as JSON lines.
 */
import type { VmRendering } from '../render/index.ts';
import type { QmpPhase } from '../render/qmp-sequences.ts';
import { quoteArgv } from '../render/shell-quote.ts';
import { commandLineLines } from './command-line-lines.ts';

function phases(title: string, list: QmpPhase[]): string[] {
  const out = [`  # QMP: ${title}`];
  for (const p of list) {
    out.push(
      `  ## phase ${p.name}${p.waitFor ? ` (then wait for ${p.waitFor.event}: ${p.waitFor.jobIds.join(', ')})` : ''}`,
    );
    for (const c of p.commands) out.push(`  ${JSON.stringify(c)}`);
  }
  return out;
}

function argvBlock(argv: string[]): string {
  // One option per line for reading; still a valid shell command.
  return `  ${commandLineLines(argv).join(' \\\n      ')}`;
}

export function renderVmText(r: VmRendering): string {
  const out: string[] = [];
  out.push(
    `=== vm ${r.vm}: primary ${r.primary.host}, secondary ` +
      `${r.secondary.host}${r.placement.primaryPromoted ? ' (promoted primary)' : ''}`,
  );
  out.push('', `--- on ${r.secondary.host} (secondary)`);
  if (r.secondary.imagePrep) for (const c of r.secondary.imagePrep) out.push(`  ${quoteArgv(c)}`);
  else
    out.push(
      `  # images: sized from the primary's disk(s) ${r.secondary.unknownDiskSizes.join(', ')} at apply time ` +
        `(qemu-img create -f qcow2 base/hidden/active)`,
    );
  out.push(argvBlock(r.secondary.argv));
  out.push(...phases('prepare (after start)', r.secondary.prepare));
  out.push('', `--- on ${r.primary.host} (primary)`);
  for (const c of r.primary.workDirPrep) out.push(`  ${quoteArgv(c)}`);
  if (r.primary.argv) out.push(argvBlock(r.primary.argv));
  out.push(...phases('start COLO: mirror', r.primary.mirrorStart));
  out.push(...phases('start COLO: live switchover (then wait for query-migrate status colo)', r.primary.switchover));
  out.push(...phases('once COLO runs: end the resync', r.primary.resyncFinish));
  out.push('', `--- failover`);
  out.push(...phases(`on ${r.secondary.host} when the primary is lost`, r.secondary.failover));
  out.push(...phases(`on ${r.primary.host} when the secondary is lost`, r.primary.failover));
  out.push('');
  return out.join('\n');
}
