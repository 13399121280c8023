/** ajv's errors as colo's messages: what each schema keyword's failure says, and where it points. */
import type { AnySchemaObject, ErrorObject } from 'ajv/dist/2020.js';
import { schemaNodeName, specSchema } from './schema.ts';
import { fromJsonPointer, formatPath, inPath } from './spec-path.ts';
import type { PathSegment, SpecPath } from './spec-path.ts';
import { didYouMean } from './suggest.ts';

export interface Finding {
  path: SpecPath;
  part: 'key' | 'value';
  message: string;
  /** What to remove from the data; undefined when nothing (a missing key). */
  prune?: SpecPath;
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

/** One ajv error -> where it points, its message, and what to prune from the data. */
export function describe(e: ErrorObject, root: unknown): Finding {
  const path: PathSegment[] = fromJsonPointer(e.instancePath).map((seg, i, all) =>
    isArrayAt(root, all.slice(0, i)) ? Number(seg) : seg,
  );
  const error: SchemaError = { e, path, where: formatPath(path), value: e.data, params: e.params };
  return (BY_KEYWORD[e.keyword] ?? otherError)(error);
}

/** An ajv error with its instance path resolved (list indexes as numbers). */
interface SchemaError {
  e: ErrorObject;
  path: PathSegment[];
  where: string;
  value: unknown;
  params: Record<string, unknown>;
}

const BY_KEYWORD: Record<string, (error: SchemaError) => Finding> = {
  additionalProperties: unknownKey,
  required: ({ path, params }) => ({
    path,
    part: 'key',
    message: `missing required key ${JSON.stringify(String(params['missingProperty']))} ${inPath(path)}`,
  }),
  type: wrongType,
  enum: ({ path, where, value, params }) => {
    const allowed = (params['allowedValues'] as unknown[]).map(String);
    const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
    return {
      path,
      part: 'value',
      message: `${where}: ${JSON.stringify(value)} is not allowed; expected one of ${allowed.join(', ')}${hint}`,
      prune: path,
    };
  },
  const: ({ path, where, value, params }) => ({
    path,
    part: 'value',
    message: `${where}: ${JSON.stringify(value)} is not supported; expected ${JSON.stringify(params['allowedValue'])}`,
    prune: path,
  }),
  pattern: badPattern,
  minimum: outOfRange,
  maximum: outOfRange,
  minItems: empty,
  minLength: empty,
};

function unknownKey({ e, path, params }: SchemaError): Finding {
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

function wrongType({ e, path, where, value, params }: SchemaError): Finding {
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

function badPattern({ e, path, where, value }: SchemaError): Finding {
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

function outOfRange({ e, path, where, value, params }: SchemaError): Finding {
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

function empty({ path, where }: SchemaError): Finding {
  return { path, part: 'value', message: `${where}: must not be empty`, prune: path };
}

function otherError({ e, path, where }: SchemaError): Finding {
  return { path, part: 'value', message: `${where}: ${e.message ?? 'is not valid'}`, prune: path };
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
    case 'helperPath':
      return (
        `${v} cannot be a bridge helper: use an absolute path without whitespace or commas (QEMU runs a ` +
        'helper path that contains whitespace through /bin/sh, and a comma ends a QEMU option value)'
      );
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
