/**
 * The spec layer's public API: YAML text -> typed, resolved `Spec`, with positioned diagnostics
 * (src/cli/spec-file.ts reads the file).
 */
export { loadSpecText } from './load.ts';
export type { LoadOptions, LoadResult } from './load.ts';
export { formatDiagnostic, sortDiagnostics, hasErrors } from './diagnostics.ts';
export type { Diagnostic, Severity } from './diagnostics.ts';
export { SCHEMA_ID, SCHEMA_PATH, specSchema } from './schema.ts';
export { deriveMac } from './mac.ts';
export { parseDuration, parseSize } from './units.ts';
export { MAX_SPEC_BYTES, MAX_YAML_DEPTH, sizeProblem } from './input-limits.ts';
export * as defaults from './builtin-defaults.ts';
export type * from './types.ts';
