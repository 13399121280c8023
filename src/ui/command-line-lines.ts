/** A QEMU argv as display lines: the binary, then each option with its value, shell-quoted. Pure. */
import { argvItems } from '../render/argv-pairs.ts';
import { quoteArgv } from '../render/shell-quote.ts';

export function commandLineLines(argv: string[]): string[] {
  const lines: string[] = argv.length > 0 ? [quoteArgv([argv[0]!])] : [];
  for (const item of argvItems(argv)) lines.push(item.map((w) => quoteArgv([w])).join(' '));
  return lines;
}
