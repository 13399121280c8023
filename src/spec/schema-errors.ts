/**
 * Schema validation with friendly, positioned messages. Each ajv error becomes at most one
 * diagnostic; values of the wrong shape are pruned from the data so later checks only ever see
 * values that match the schema.
 */
import type { AnySchemaObject, ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic } from './diagnostics.ts';
import type { RawSpec } from './raw-spec.ts';
import { schemaNodeName, specSchema, specValidator } from './schema.ts';
import { fromJsonPointer, formatPath, inPath } from './spec-path.ts';
import type { PathSegment, SpecPath } from './spec-path.ts';
import { didYouMean } from './suggest.ts';
import type { Locator } from './yaml-document.ts';

export interface SchemaResult {
  /** The data with every offending value removed (list items set to undefined, keeping indexes). */
  data: RawSpec;
  diagnostics: Diagnostic[];
}

interface Finding {
  path: SpecPath;
  part: 'key' | 'value';
  message: string;
  /** What to remove from the data; undefined when nothing (a missing key). */
  prune?: SpecPath;
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

const TYPE_WORDS: Record<string, string> = {
  object: 'mapping',
  array: 'list',
  integer: 'integer',
  number: 'number',
  string: 'string',
  boolean: 'boolean',
  null: 'null',
};

/** Descriptions of values from a shared definition, used instead of their raw JSON types. */
const DEF_EXPECTED: Record<string, string> = {
  size: 'a size such as "64M" or a number of bytes',
  memorySize: 'a size such as "512M" or a number of MiB',
  duration: 'a duration such as "2s" or a number of milliseconds',
};

function actual(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' && !Number.isInteger(value)) return `number ${value}`;
  return `${typeof value === 'number' ? 'integer' : typeof value} ${String(value)}`;
}

/** The schema node an error comes from: `size`, `port`, `ssh.hostKey`... (see schemaNodeName). */
function defOf(e: ErrorObject): string | undefined {
  return schemaNodeName(e.parentSchema);
}

function describe(e: ErrorObject, root: unknown): Finding {
  const path: PathSegment[] = fromJsonPointer(e.instancePath).map((seg, i, all) =>
    isArrayAt(root, all.slice(0, i)) ? Number(seg) : seg,
  );
  const where = formatPath(path);
  const value: unknown = e.data;
  const params = e.params as Record<string, unknown>;

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const properties = (e.parentSchema?.['properties'] as Record<string, AnySchemaObject> | undefined) ?? {};
      const allowed = Object.keys(properties);
      const hint =
        didYouMean(key, allowed) ||
        movedHint(key, properties) ||
        (allowed.length > 0 ? ` (allowed keys: ${allowed.join(', ')})` : '');
      return {
        path: [...path, key],
        part: 'key',
        message: `unknown key ${JSON.stringify(key)} ${inPath(path)}${hint}`,
        prune: [...path, key],
      };
    }
    case 'required': {
      const key = String(params['missingProperty']);
      return { path, part: 'key', message: `missing required key ${JSON.stringify(key)} ${inPath(path)}` };
    }
    case 'type': {
      const def = defOf(e);
      const types = ([] as string[]).concat(params['type'] as string | string[]);
      const expected = (def && DEF_EXPECTED[def]) ?? types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      if (path.length === 0) {
        return {
          path,
          part: 'value',
          message: `expected a mapping with apiVersion, hosts and vms at the top level, got ${actual(value)}`,
          prune: [],
        };
      }
      return { path, part: 'value', message: `${where}: expected ${expected}, got ${actual(value)}`, prune: path };
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String);
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return {
        path,
        part: 'value',
        message: `${where}: ${JSON.stringify(value)} is not allowed; expected one of ${allowed.join(', ')}${hint}`,
        prune: path,
      };
    }
    case 'const': {
      return {
        path,
        part: 'value',
        message:
          `${where}: ${JSON.stringify(value)} is not supported; expected ` +
          `${JSON.stringify(params['allowedValue'])}`,
        prune: path,
      };
    }
    case 'pattern': {
      if (e.propertyName !== undefined) {
        const name = e.propertyName;
        return {
          path: [...path, name],
          part: 'key',
          message:
            `unsafe name ${JSON.stringify(name)} ${inPath(path)}: use a letter, then up to 31 letters, ` +
            `digits, "-" or "_"`,
          prune: [...path, name],
        };
      }
      return { path, part: 'value', message: `${where}: ${patternMessage(e, value)}`, prune: path };
    }
    case 'minimum':
    case 'maximum': {
      if (defOf(e) === 'port')
        return {
          path,
          part: 'value',
          message: `${where}: ${String(value)} is not a port number (1 to 65535)`,
          prune: path,
        };
      const limit = String(params['limit']);
      const word = e.keyword === 'minimum' ? 'at least' : 'at most';
      return {
        path,
        part: 'value',
        message: `${where}: ${String(value)} is out of range; must be ${word} ${limit}`,
        prune: path,
      };
    }
    case 'minItems':
    case 'minLength':
      return { path, part: 'value', message: `${where}: must not be empty`, prune: path };
    default:
      return { path, part: 'value', message: `${where}: ${e.message ?? 'is not valid'}`, prune: path };
  }
}

/** `; did you mean "machine.memory"?` when the key belongs one level down (a common slip). */
function movedHint(key: string, properties: Record<string, AnySchemaObject>): string {
  const defs = (specSchema()['$defs'] ?? {}) as Record<string, AnySchemaObject>;
  for (const [prop, propSchema] of Object.entries(properties)) {
    const ref = typeof propSchema['$ref'] === 'string' ? propSchema['$ref'].replace('#/$defs/', '') : undefined;
    const target = ref !== undefined ? defs[ref] : propSchema;
    const nested = (target?.['properties'] as Record<string, unknown> | undefined) ?? {};
    if (Object.hasOwn(nested, key)) return `; did you mean ${JSON.stringify(`${prop}.${key}`)}?`;
  }
  return '';
}

function patternMessage(e: ErrorObject, value: unknown): string {
  const v = JSON.stringify(value);
  switch (defOf(e)) {
    case 'name':
      return `${v} is not a safe name: use a letter, then up to 31 letters, digits, "-" or "_"`;
    case 'absolutePath':
      return `relative path ${v}: host paths must be absolute (start with /)`;
    case 'localPath':
      return `relative path ${v}: use an absolute path or one starting with ~/`;
    case 'address':
      return `${v} is not a host name or IP address`;
    case 'size':
    case 'memorySize':
      return `malformed size ${v}: expected a number with an optional K, M, G or T suffix, e.g. "512M"`;
    case 'duration':
      return `malformed duration ${v}: expected a number with a unit ms, s or m, e.g. "2s" or "500ms"`;
    case 'mac':
      return `malformed MAC address ${v}: expected six hex bytes separated by colons, e.g. "52:54:00:12:34:56"`;
    case 'ifname':
      return `${v} is not a valid interface name (1 to 15 letters, digits, "_", "." or "-")`;
    case 'qemuWord':
      return `${v} is not a valid QEMU type name (letters, digits, "-", "_" and ".")`;
    case 'ssh.hostKey':
      return `${v} is not an OpenSSH public key; expected e.g. "ssh-ed25519 AAAAC3Nza..."`;
    case 'machine.cpu':
      return `${v} is not a valid CPU model (letters, digits and "_.+=,-")`;
    default:
      return `${v} does not match the pattern ${String((e.params as Record<string, unknown>)['pattern'])}`;
  }
}

function isArrayAt(root: unknown, path: readonly string[]): boolean {
  let node: unknown = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<string, unknown>)[seg];
  }
  return Array.isArray(node);
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
