/**
 * How a QEMU argv groups into options, written once: after the binary, a word starting with "-" is a
 * flag, and the word after it is its value unless that word is a flag too; any other word stands
 * alone. The planner's argv diff and the command-line views both read argv this way. Pure.
 */

/** One option: a flag with its value, or a word alone (a value-less flag, or a stray word). */
export type ArgvItem = readonly [word: string] | readonly [flag: string, value: string];

/** The options of `argv`, without argv[0] (the binary). */
export function argvItems(argv: readonly string[]): ArgvItem[] {
  const items: ArgvItem[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      items.push([a, next]);
      i++;
    } else items.push([a]);
  }
  return items;
}
