/** A QEMU argv as display lines: the binary, then each option with its value, shell-quoted. Pure. */
import { quoteArgv } from '../render/shell-quote.ts';

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
