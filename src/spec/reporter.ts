/** Collects diagnostics for one spec file, positioned through the YAML locator. */
import type { Diagnostic, Severity } from './diagnostics.ts';
import type { SpecPath } from './spec-path.ts';
import type { Locator } from './yaml-document.ts';

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  readonly file: string;
  readonly locator: Locator;

  constructor(file: string, locator: Locator) {
    this.file = file;
    this.locator = locator;
  }

  /** Reports at the value of `path` (or at its key with part 'key'). */
  error(path: SpecPath, message: string, part: 'key' | 'value' = 'value'): void {
    this.report('error', path, message, part);
  }

  warning(path: SpecPath, message: string, part: 'key' | 'value' = 'value'): void {
    this.report('warning', path, message, part);
  }

  report(severity: Severity, path: SpecPath, message: string, part: 'key' | 'value'): void {
    const { line, col } = this.locator.position(path, part);
    this.diagnostics.push({ severity, file: this.file, line, col, message });
  }

  /** The line `path` is written on, for "first defined on line N" hints. */
  lineOf(path: SpecPath, part: 'key' | 'value' = 'key'): number {
    return this.locator.position(path, part).line;
  }

  /** Whether the user wrote `path` at all (even with a value the schema rejected). */
  written(path: SpecPath): boolean {
    return this.locator.has(path);
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }
}
