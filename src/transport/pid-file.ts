/** The contents of a pid file, parsed. Pure (no I/O): the callers read the file. */

/** Parse the contents of a pid file: a positive decimal integer, whitespace allowed around it. */
export function parsePidFile(text: string): number | null {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t)) return null;
  const pid = Number(t);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}
