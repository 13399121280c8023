/** Median, min and max of a sample (no averages: a single slow run must not move the figure). */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    median: median(xs),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

/** Formats a value of a unit for tables: ms as integers, ratios with two decimals. */
export function fmt(v: number, unit: 'ms' | 'count' | 'x'): string {
  if (!Number.isFinite(v)) return '-';
  if (unit === 'x') return `${v.toFixed(2)}x`;
  if (unit === 'count') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return `${Math.round(v)} ms`;
}
