/**
 * A unified diff of two QEMU command lines, one option (with its value) per line, so a plan shows
 * exactly what changed in the argv of a QEMU it replaces. Built with jsdiff's structuredPatch.
 */
import { structuredPatch } from 'diff';
import { commandLineLines } from '../../command-line-lines.ts';

/** Hunks of the diff, each line prefixed with "+", "-" or " " (one line of context). */
export function commandLineDiff(before: string[], after: string[]): string[] {
  const patch = structuredPatch(
    'running',
    'spec',
    `${commandLineLines(before).join('\n')}\n`,
    `${commandLineLines(after).join('\n')}\n`,
    '',
    '',
    { context: 1 },
  );
  const out: string[] = [];
  for (const h of patch.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    out.push(...h.lines.filter((l) => !l.startsWith('\\')));
  }
  return out;
}
