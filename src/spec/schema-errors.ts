/**
 * Schema validation with friendly, positioned messages. Each ajv error becomes at most one
 * diagnostic; values of the wrong shape are pruned from the data so later checks only ever see
 * values that match the schema.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic } from './diagnostics.ts';
import type { RawSpec } from './raw-spec.ts';
import { specValidator } from './schema.ts';
import { describe } from './schema-messages.ts';
import type { PathSegment, SpecPath } from './spec-path.ts';
import type { Locator } from './yaml-document.ts';

export interface SchemaResult {
  /** The data with every offending value removed (list items set to undefined, keeping indexes). */
  data: RawSpec;
  diagnostics: Diagnostic[];
}

export function validateSchema(input: unknown, locator: Locator, file: string): SchemaResult {
  const validate = specValidator();
  const data = input === null || input === undefined ? {} : input;
  validate(data);
  const errors = relevant(validate.errors ?? []);
  const findings = errors.map((e) => describe(e, data));
  const diagnostics: Diagnostic[] = findings.map((f) => {
    const pos = locator.position(f.path, f.part);
    return { severity: 'error', file, line: pos.line, col: pos.col, message: f.message };
  });
  if (input === null || input === undefined) {
    diagnostics.unshift({
      severity: 'error',
      file,
      line: 1,
      col: 1,
      message: 'the spec is empty: expected apiVersion, hosts and vms',
    });
    return { data: {}, diagnostics: diagnostics.filter((d) => !d.message.startsWith('missing required key')) };
  }
  let pruned: unknown = data;
  for (const f of findings) if (f.prune) pruned = prune(pruned, f.prune);
  const result = pruned !== null && typeof pruned === 'object' && !Array.isArray(pruned) ? (pruned as RawSpec) : {};
  return { data: result, diagnostics };
}

/** Drops wrapper errors and errors that only repeat another one at the same place. */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const typeErrorAt = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  // An entry with an unsafe name is reported once, by name; what is inside it is not looked at.
  const unsafeEntries = errors
    .filter((e) => e.propertyName !== undefined && e.keyword !== 'propertyNames')
    .map((e) => `${e.instancePath}/${(e.propertyName ?? '').replace(/~/g, '~0').replace(/\//g, '~1')}`);
  return errors.filter((e) => {
    if (unsafeEntries.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))) return false;
    if (e.keyword === 'propertyNames' || e.keyword === 'if') return false;
    if (
      (e.keyword === 'anyOf' || e.keyword === 'oneOf') &&
      errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath))
    )
      return false;
    if (e.keyword !== 'type' && e.propertyName === undefined && typeErrorAt.has(e.instancePath)) return false;
    return true;
  });
}

/** Removes the value at `path` (object key deleted, list item set to undefined). Returns the new root. */
function prune(root: unknown, path: SpecPath): unknown {
  if (path.length === 0) return {};
  let node: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return root;
    node = (node as Record<string, unknown>)[String(seg)];
  }
  const last = path[path.length - 1] as PathSegment;
  if (Array.isArray(node)) {
    const i = Number(last);
    if (i >= 0 && i < node.length) node[i] = undefined;
  } else if (node !== null && typeof node === 'object') {
    delete (node as Record<string, unknown>)[String(last)];
  }
  return root;
}
