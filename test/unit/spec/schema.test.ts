import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { specSchema, SCHEMA_ID } from '../../../src/spec/index.ts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SPEC_VALIDATOR_OPTIONS, specValidator } from '../../../src/spec/schema.ts';

type Node = Record<string, unknown>;

/** Every schema object reachable from the root, with a JSON-pointer-ish location. */
function walk(node: unknown, at: string, visit: (n: Node, at: string) => void): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const n = node as Node;
  visit(n, at);
  for (const key of ['properties', '$defs']) {
    const children = n[key] as Record<string, unknown> | undefined;
    for (const [name, child] of Object.entries(children ?? {})) walk(child, `${at}/${key}/${name}`, visit);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames']) {
    if (typeof n[key] === 'object') walk(n[key], `${at}/${key}`, visit);
  }
}

describe('schemas/colo.schema.json', () => {
  const schema = specSchema() as Node;

  test('is draft 2020-12 with a stable $id', () => {
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema['$id'], SCHEMA_ID);
    assert.equal(SCHEMA_ID, 'https://colo.dev/schemas/colo.schema.json');
  });

  test('every property, definition and list item has a description', () => {
    const missing: string[] = [];
    let properties = 0;
    walk(schema, '#', (n, at) => {
      for (const [name, prop] of Object.entries((n['properties'] as Record<string, Node> | undefined) ?? {})) {
        properties++;
        if (typeof prop['description'] !== 'string' || prop['description'].length < 10)
          missing.push(`${at}/properties/${name}`);
      }
      for (const [name, def] of Object.entries((n['$defs'] as Record<string, Node> | undefined) ?? {})) {
        if (typeof def['description'] !== 'string') missing.push(`${at}/$defs/${name}`);
      }
      const items = n['items'] as Node | undefined;
      if (items && items['$ref'] !== undefined && typeof items['description'] !== 'string') missing.push(`${at}/items`);
    });
    assert.deepEqual(missing, []);
    assert.ok(properties > 80, `only ${properties} properties walked`);
  });

  test('every object schema is closed (additionalProperties false, or a typed map)', () => {
    const open: string[] = [];
    walk(schema, '#', (n, at) => {
      if (n['type'] !== 'object') return;
      const ap = n['additionalProperties'];
      if (ap === false) return;
      if (typeof ap === 'object' && n['propertyNames'] !== undefined) return; // a map keyed by safe names
      open.push(at);
    });
    assert.deepEqual(open, []);
  });

  test('closed sets are enums', () => {
    const enums: Record<string, unknown> = {};
    walk(schema, '#', (n, at) => {
      if (Array.isArray(n['enum'])) enums[at] = n['enum'];
    });
    assert.deepEqual(enums['#/$defs/machine/properties/accel'], ['kvm', 'tcg', 'auto']);
    assert.deepEqual(enums['#/$defs/netdev/properties/backend'], ['user', 'tap', 'bridge']);
    assert.deepEqual(enums['#/$defs/disk/properties/format'], ['qcow2', 'raw']);
    assert.deepEqual(enums['#/$defs/disk/properties/interface'], ['virtio', 'ide', 'scsi']);
    assert.deepEqual(enums['#/$defs/hostForward/properties/protocol'], ['tcp', 'udp']);
  });

  test('is a valid JSON Schema 2020-12 (runs skip this check to compile faster, so the test does it)', () => {
    assert.equal(SPEC_VALIDATOR_OPTIONS.validateSchema, false);
    const ajv = new Ajv2020({ ...SPEC_VALIDATOR_OPTIONS, validateSchema: true, code: { optimize: true } });
    assert.equal(ajv.validateSchema(specSchema()), true, JSON.stringify(ajv.errors));
    assert.doesNotThrow(() => ajv.compile(specSchema()));
    const broken = { ...specSchema(), $id: 'https://colo.dev/x', properties: { apiVersion: { type: 'nonsense' } } };
    assert.equal(ajv.validateSchema(broken), false, 'the meta-schema check can fail');
  });

  test('compiles under ajv strict mode and accepts a minimal spec', () => {
    const validate = specValidator();
    const ok = validate({ apiVersion: 'colo/v1', hosts: { a: { ssh: { address: 'x' } } }, vms: {} });
    assert.equal(ok, true, JSON.stringify(validate.errors));
    assert.equal(validate({ apiVersion: 'colo/v1', hosts: {}, vms: {}, extra: 1 }), false);
  });
});
