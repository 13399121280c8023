/**
 * Diagnostics: problems found in a spec, each pinned to a place in the user's file.
 * Formatting follows the compiler convention `FILE:LINE:COL: message`.
 */

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** The spec file as the user gave it (relative paths stay relative). */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file (e.g. it cannot be read). */
  line: number;
  /** 1-based; 0 when the problem concerns the whole file. */
  col: number;
  message: string;
}

/** `FILE:LINE:COL: message`, `FILE:LINE:COL: warning: message`, or `FILE: message` for whole-file problems. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${prefix}${d.message}`;
}

/** Sorted by position (whole-file problems first), then errors before warnings, then message; duplicates removed. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.severity}\0${d.line}\0${d.col}\0${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(d);
  }
  return unique.sort(
    (a, b) =>
      a.line - b.line ||
      a.col - b.col ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
