/** The JSON Schema of the spec (schemas/colo.schema.json) and its compiled validator. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchemaObject, ValidateFunction } from 'ajv/dist/2020.js';

/** Works from src/spec (tsx) and dist/spec (built): the schema sits two levels up in both. */
export const SCHEMA_PATH = new URL('../../schemas/colo.schema.json', import.meta.url);
export const SCHEMA_ID = 'https://colo.dev/schemas/colo.schema.json';

let schema: AnySchemaObject | undefined;
let validator: ValidateFunction | undefined;

export function specSchema(): AnySchemaObject {
  schema ??= JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as AnySchemaObject;
  return schema;
}

/** Compiled once per process. `verbose` keeps each error's schema and data for friendly messages. */
export function specValidator(): ValidateFunction {
  validator ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(specSchema());
  return validator;
}
