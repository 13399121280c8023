/** One regular expression from parts (their sources joined in order), so a long pattern fits in 120 columns. */
export function joinRegex(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(''));
}
