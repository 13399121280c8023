/** The JSON Schema of the spec (schemas/colo.schema.json) and its compiled validator. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchemaObject, ValidateFunction } from 'ajv/dist/2020.js';
import schemaJson from '../../schemas/colo.schema.json' with { type: 'json' };

/**
 * The schema sits two levels up from src/spec (tsx) and dist/spec (built) alike: the JSON import and
 * this URL resolve to the same file in both.
 */
export const SCHEMA_PATH = new URL('../../schemas/colo.schema.json', import.meta.url);
export const SCHEMA_ID = 'https://colo.dev/schemas/colo.schema.json';

let validator: ValidateFunction | undefined;

export function specSchema(): AnySchemaObject {
  return schemaJson as AnySchemaObject;
}

/**
 * The options the spec's validator is compiled with. `verbose` keeps each error's schema and data for
 * friendly messages. The schema is a fixed file of this package, checked against JSON Schema 2020-12
 * by a unit test (schemaCheckOptions), so a run neither re-validates it nor optimises the generated
 * code: that halves the compile every command pays (about 70 -> 35 ms here).
 */
export const SPEC_VALIDATOR_OPTIONS = {
  allErrors: true,
  verbose: true,
  strict: true,
  allowUnionTypes: true,
  validateSchema: false,
  code: { optimize: false },
} as const;

/** Compiled once per process. */
export function specValidator(): ValidateFunction {
  validator ??= new Ajv2020({ ...SPEC_VALIDATOR_OPTIONS, code: { ...SPEC_VALIDATOR_OPTIONS.code } }).compile(
    specSchema(),
  );
  return validator;
}

let names: WeakMap<object, string> | undefined;

/**
 * A stable name for a node of the schema, for error messages: `size` for `$defs/size`,
 * `ssh.hostKey` for `$defs/ssh/properties/hostKey`. ajv's errors carry the node (`parentSchema`).
 */
export function schemaNodeName(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (!names) {
    names = new WeakMap();
    const defs = (specSchema()['$defs'] ?? {}) as Record<string, AnySchemaObject>;
    for (const [def, defSchema] of Object.entries(defs)) {
      names.set(defSchema, def);
      const props = (defSchema['properties'] ?? {}) as Record<string, AnySchemaObject>;
      for (const [prop, propSchema] of Object.entries(props)) names.set(propSchema, `${def}.${prop}`);
    }
  }
  return names.get(node);
}
