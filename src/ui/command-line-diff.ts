/**
 * A unified diff of two QEMU command lines, one option (with its value) per line, so a plan shows
 * exactly what changed in the argv of a QEMU it replaces. Built with jsdiff's structuredPatch.
 */
import { structuredPatch } from 'diff';
import { quoteArgv } from '../transport/shell-quote.ts';

/** argv as display lines: the binary, then each option with its value. */
export function commandLineLines(argv: string[]): string[] {
  const lines: string[] = argv.length > 0 ? [quoteArgv([argv[0]!])] : [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${quoteArgv([a])} ${quoteArgv([next])}`);
      i++;
    } else lines.push(quoteArgv([a]));
  }
  return lines;
}

/** Hunks of the diff, each line prefixed with "+", "-" or " " (one line of context). */
export function commandLineDiff(before: string[], after: string[]): string[] {
  const patch = structuredPatch('running', 'spec', `${commandLineLines(before).join('\n')}\n`, `${commandLineLines(after).join('\n')}\n`, '', '', { context: 1 });
  const out: string[] = [];
  for (const h of patch.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    out.push(...h.lines.filter((l) => !l.startsWith('\\')));
  }
  return out;
}
