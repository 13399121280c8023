/** Loads the spec for a command; prints every diagnostic and fails with a one-line cause. */
import { formatDiagnostic } from '../spec/index.ts';
import type { Spec } from '../spec/types.ts';
import { loadSpecFile } from './spec-file.ts';
import { UserError } from './user-error.ts';

export async function loadSpecOrFail(file: string): Promise<Spec> {
  return (await loadSpecSourceOrFail(file)).spec;
}

/** The spec and the text it was loaded from (a saved plan keeps the text). */
export async function loadSpecSourceOrFail(file: string): Promise<{ spec: Spec; text: string }> {
  const { spec, diagnostics, text } = await loadSpecFile(file);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity !== 'error');
  for (const w of warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  if (errors.length > 0 || !spec) {
    const lines = errors.map((d) => formatDiagnostic(d)).join('\n');
    throw new UserError(`${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the spec\n${lines}`);
  }
  return { spec, text: text ?? '' };
}
