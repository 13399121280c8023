/**
 * The JSON schemas of colo's machine output (schemas/plan, status, failover, apply-events): each is
 * a 2020-12 schema with the documented $id and a description on every property, compiles under
 * ajv strict mode, accepts what the code really emits (renderers called on fixture data, golden
 * plan files) and rejects what it never emits.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { renderPlanJson } from '../../../src/ui/plan-json.ts';
import { jsonHooks } from '../../../src/ui/apply-progress.ts';
import { pairStatuses } from '../../../src/engine/pair-status.ts';
import type { FailoverResult } from '../../../src/engine/failover.ts';
import type { Plan, PlannedStep } from '../../../src/engine/plan-model.ts';
import type { ObservedQemu } from '../../../src/engine/observed.ts';
import {
  downHost,
  healthyPrimary,
  healthySecondary,
  healthyWeb,
  obsHost,
  observation,
  plan,
  state,
  vmOf,
  vmState,
  webSpec,
} from '../engine/plan-fixtures.ts';

type Node = Record<string, unknown>;
const NAMES = ['plan', 'status', 'failover', 'apply-events'] as const;
type SchemaName = (typeof NAMES)[number];

function loadSchema(name: SchemaName): Node {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${name}.schema.json`, import.meta.url), 'utf8')) as Node;
}

const validators = new Map<SchemaName, ValidateFunction>();
function validator(name: SchemaName): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    // Formats are annotations here (no ajv-formats); date-time and uuid also carry a pattern.
    const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    v = ajv.compile(loadSchema(name));
    validators.set(name, v);
  }
  return v;
}

/** Asserts `doc` is valid, with ajv's errors in the message. */
function assertValid(name: SchemaName, doc: unknown, what: string): void {
  const v = validator(name);
  assert.equal(v(doc), true, `${what} does not match schemas/${name}.schema.json: ${JSON.stringify(v.errors, null, 2)}`);
}

function assertInvalid(name: SchemaName, doc: unknown, what: string): void {
  assert.equal(validator(name)(doc), false, `${what} should not match schemas/${name}.schema.json`);
}

/** Every schema object reachable from the root (properties, $defs, items, maps, combinators). */
function walk(node: unknown, at: string, visit: (n: Node, at: string) => void): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const n = node as Node;
  visit(n, at);
  for (const key of ['properties', '$defs']) {
    for (const [name, child] of Object.entries((n[key] as Record<string, unknown> | undefined) ?? {})) walk(child, `${at}/${key}/${name}`, visit);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames']) if (typeof n[key] === 'object') walk(n[key], `${at}/${key}`, visit);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const list = n[key];
    if (Array.isArray(list)) list.forEach((child, i) => walk(child, `${at}/${key}/${i}`, visit));
  }
}

/** JSON as the commands write it (undefined fields dropped). */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const gone = (host: string): ObservedQemu => ({ host, alive: false });

describe('machine-output schemas: form', () => {
  for (const name of NAMES) {
    test(`${name}.schema.json: 2020-12, $id, title, compiles in ajv strict mode`, () => {
      const schema = loadSchema(name);
      assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(schema['$id'], `https://colo.dev/schemas/${name}.schema.json`);
      assert.equal(typeof schema['title'], 'string');
      assert.ok(typeof schema['description'] === 'string' && schema['description'].length > 40);
      assert.equal(typeof validator(name), 'function');
    });

    test(`${name}.schema.json: every property, definition and list item has a description`, () => {
      const missing: string[] = [];
      let properties = 0;
      walk(loadSchema(name), '#', (n, at) => {
        for (const [prop, child] of Object.entries((n['properties'] as Record<string, Node> | undefined) ?? {})) {
          properties++;
          if (typeof child['description'] !== 'string' || child['description'].length < 10) missing.push(`${at}/properties/${prop}`);
        }
        for (const [def, child] of Object.entries((n['$defs'] as Record<string, Node> | undefined) ?? {})) {
          if (typeof child['description'] !== 'string') missing.push(`${at}/$defs/${def}`);
        }
        const items = n['items'] as Node | undefined;
        if (items && typeof items['description'] !== 'string') missing.push(`${at}/items`);
      });
      assert.deepEqual(missing, []);
      assert.ok(properties >= 10, `only ${properties} properties walked`);
    });

    test(`${name}.schema.json: every object is closed (additionalProperties false, or a typed map)`, () => {
      const open: string[] = [];
      walk(loadSchema(name), '#', (n, at) => {
        if (n['type'] !== 'object') return;
        if (n['additionalProperties'] === false) return;
        if (typeof n['additionalProperties'] === 'object' && n['propertyNames'] !== undefined) return;
        open.push(at);
      });
      assert.deepEqual(open, []);
    });
  }
});

describe('plan.schema.json accepts renderPlanJson output', () => {
  const cases: Record<string, () => Plan> = {
    create: () => {
      const spec = webSpec();
      return plan(spec, null, observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], { web: [gone('alpha'), gone('beta')] }));
    },
    'no changes': () => plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec())),
    'update in place (attributes with before/after)': () =>
      plan(webSpec({ compareTimeout: '2s' }), state({ web: vmState() }), healthyWeb(webSpec(), { migrateParams: { 'x-checkpoint-delay': 5000 } })),
    'replace (forcesReplacement)': () => plan(webSpec({ memory: '256M' }), state({ web: vmState() }), healthyWeb(webSpec())),
    'virtio disabled': () => plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec(), {}, { virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] })),
    'blocked: primary gone (hint)': () => {
      const spec = webSpec();
      return plan(spec, state({ web: vmState() }), observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')] }));
    },
    'blocked: secondary host down': () => {
      const spec = webSpec();
      return plan(spec, state({ web: vmState() }), observation([obsHost('alpha'), downHost('beta')], { web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta')] }));
    },
    'removed VM (drift without host, files-delete)': () => {
      const spec = webSpec({ withApi: true, withoutWeb: true });
      const api = vmOf(spec, 'api');
      const obs = observation([obsHost('alpha'), obsHost('beta')], {
        api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
        web: [{ host: 'alpha', alive: true, pid: 4242 }, { host: 'beta', alive: true, pid: 5151 }],
      });
      return plan(spec, state({ web: vmState(), api: vmState({ created: {} }) }), obs);
    },
    destroy: () => plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec()), 'destroy'),
    'refresh-only with drift': () => plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec(), { objects: ['type'] }), 'refresh-only'),
  };

  for (const [name, make] of Object.entries(cases)) {
    test(name, () => {
      const p = make();
      const doc = JSON.parse(renderPlanJson(p)) as Node;
      assertValid('plan', doc, `plan "${name}"`);
      assert.equal((doc['resource_changes'] as unknown[]).length, p.steps.length);
    });
  }

  test('the fixtures cover every part of the document', () => {
    const docs = Object.values(cases).map((m) => JSON.parse(renderPlanJson(m())) as Record<string, unknown[] | unknown>);
    const some = (f: (d: Record<string, unknown>) => boolean) => docs.some(f);
    assert.ok(some((d) => (d['state'] as { lineage: unknown }).lineage === null), 'a plan without a state');
    assert.ok(some((d) => (d['resource_drift'] as unknown[]).length > 0), 'drift');
    assert.ok(some((d) => (d['blocked'] as { hint?: string }[]).some((b) => b.hint !== undefined)), 'a blocked pair with a hint');
    assert.ok(some((d) => (d['warnings'] as unknown[]).length > 0), 'warnings');
    assert.ok(some((d) => (d['resource_changes'] as { host: unknown }[]).some((c) => c.host !== null)), 'steps on hosts');
    assert.ok(some((d) => (d['resource_changes'] as { change: { attributes: { forcesReplacement?: boolean }[] } }[]).some((c) => c.change.attributes.some((a) => a.forcesReplacement))), 'forcesReplacement');
    assert.deepEqual(new Set(docs.map((d) => d['mode'])), new Set(['normal', 'destroy', 'refresh-only']));
  });

  test('every golden plan file (test/fixtures/golden/plan/*.json)', () => {
    const dir = fileURLToPath(new URL('../../fixtures/golden/plan/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 10, `only ${files.length} golden plans`);
    for (const f of files) assertValid('plan', JSON.parse(readFileSync(`${dir}${f}`, 'utf8')), `golden ${f}`);
  });

  test('rejects what renderPlanJson never writes', () => {
    const good = JSON.parse(renderPlanJson(cases['replace (forcesReplacement)']!())) as Node;
    const changes = good['resource_changes'] as Node[];
    assertInvalid('plan', { ...good, extra: 1 }, 'an unknown top-level field');
    assertInvalid('plan', { ...good, format_version: '2.0' }, 'another format version');
    assertInvalid('plan', { ...good, mode: 'apply' }, 'an unknown mode');
    assertInvalid('plan', { ...good, resource_changes: [{ ...changes[0]!, kind: 'reboot' }] }, 'an unknown step kind');
    assertInvalid('plan', { ...good, resource_changes: [{ ...changes[0]!, change: { actions: ['replace'], attributes: [] } }] }, 'replace as an action (it is delete+create)');
    assertInvalid('plan', { ...good, summary: { add: 1, change: 0 } }, 'a summary without destroy');
    const { timestamp: _t, ...noTime } = good;
    assertInvalid('plan', noTime, 'no timestamp');
    assertInvalid('plan', { ...good, timestamp: 'yesterday' }, 'a timestamp that is not ISO 8601');
  });
});

describe('status.schema.json accepts `colo status --json` documents', () => {
  /** What src/cli/commands/status.ts writes. */
  const statusDoc = (list: ReturnType<typeof pairStatuses>) => asJson({ format_version: '1.0', vms: list });
  const spec = webSpec();
  const vm = vmOf(spec);

  const cases: Record<string, () => ReturnType<typeof pairStatuses>> = {
    protected: () => pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec)),
    'not deployed': () => pairStatuses(spec, null, observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')] })),
    'degraded: secondary gone': () => pairStatuses(spec, state({ web: vmState() }), observation([obsHost('alpha'), obsHost('beta')], { web: [healthyPrimary(spec, vm, 'alpha', 'beta'), gone('beta')] })),
    'down: primary gone': () => pairStatuses(spec, state({ web: vmState() }), observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), healthySecondary(spec, vm, 'beta', 'alpha')] })),
    'unknown: primary host unreachable': () => pairStatuses(spec, state({ web: vmState() }), observation([downHost('alpha'), obsHost('beta')], { web: [healthySecondary(spec, vm, 'beta', 'alpha')] })),
    'after a failover (lastFailover)': () => {
      const st = state({ web: vmState({ primaryHost: 'beta', secondaryHost: 'alpha', primaryOrigin: 'promoted-secondary', status: 'degraded', lastFailover: { at: '2026-02-03T04:05:06.000Z', from: 'alpha', to: 'beta', durationMs: 812 } }) });
      const promoted = healthyPrimary(spec, vm, 'beta', 'alpha', { coloMode: 'none', coloReason: 'request', migrateStatus: 'none' });
      return pairStatuses(spec, st, observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), promoted] }));
    },
    'two VMs': () => {
      const two = webSpec({ withApi: true });
      const api = vmOf(two, 'api');
      return pairStatuses(two, null, observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')], api: [healthyPrimary(two, api, 'alpha', 'beta'), healthySecondary(two, api, 'beta', 'alpha')] }));
    },
  };

  for (const [name, make] of Object.entries(cases)) {
    test(name, () => assertValid('status', statusDoc(make()), `status "${name}"`));
  }

  test('the fixtures cover every health and both lastFailover forms', () => {
    const all = Object.values(cases).flatMap((m) => m());
    assert.deepEqual(new Set(all.map((p) => p.health)), new Set(['protected', 'degraded', 'down', 'not-deployed', 'unknown']));
    assert.ok(all.some((p) => p.lastFailover !== null) && all.some((p) => p.lastFailover === null));
    assert.ok(all.some((p) => p.primary.pid === null) && all.some((p) => p.primary.pid !== null));
    assert.ok(all.some((p) => p.checkpoint.intervalMs !== null && p.checkpoint.compareTimeoutMs !== null));
  });

  test('rejects what status never writes', () => {
    const good = statusDoc(cases['protected']!()) as { vms: Node[] };
    const pair = good.vms[0]!;
    assertInvalid('status', { ...good, vms: [{ ...pair, health: 'fine' }] }, 'an unknown health');
    assertInvalid('status', { ...good, vms: [{ ...pair, primary: { ...(pair['primary'] as Node), coloMode: 'tertiary' } }] }, 'an unknown COLO mode');
    assertInvalid('status', { ...good, vms: [{ ...pair, primary: { ...(pair['primary'] as Node), pid: '42' } }] }, 'a pid as a string');
    const { lastFailover: _lf, ...noFailover } = pair;
    assertInvalid('status', { ...good, vms: [noFailover] }, 'lastFailover omitted instead of null');
    assertInvalid('status', { vms: good.vms }, 'no format_version');
  });
});

describe('failover.schema.json accepts `colo failover --json` documents', () => {
  const promoted: FailoverResult = {
    vm: 'web',
    outcome: 'promoted',
    survivor: 'beta',
    fenced: 'alpha',
    fencing: 'stopped-over-ssh',
    timings: { connectMs: 41, fenceMs: 230, qmpMs: 18, verifyMs: 25, totalMs: 320 },
    message: 'web now runs alone on beta (alpha fenced: stopped-over-ssh) in 320 ms [connect 41 ms, fence 230 ms, QMP 18 ms, verify 25 ms]. Run "colo apply" to re-protect it.',
  };
  const already: FailoverResult = {
    vm: 'api',
    outcome: 'already-failed-over',
    survivor: 'beta',
    fenced: 'alpha',
    fencing: 'not-needed',
    timings: { connectMs: 39, fenceMs: 0, qmpMs: 0, verifyMs: 0, totalMs: 0 },
    message: 'api already runs alone on beta (failed over at 2026-02-03T04:05:06.000Z); nothing to do. Run "colo apply" to re-protect it.',
  };
  /** What src/cli/commands/failover.ts writes with --json. */
  const failoverDoc = (to: 'secondary' | 'primary', results: FailoverResult[], errors: { vm: string; error: Error }[]) =>
    asJson({ format_version: '1.0', to, results, errors: errors.map((e) => ({ vm: e.vm, error: e.error.message })) });

  test('promoted and already failed over', () => assertValid('failover', failoverDoc('secondary', [promoted, already], []), 'two results'));
  test('every fencing kind, to the primary', () => {
    for (const fencing of ['stopped-over-ssh', 'fence-command', 'operator', 'not-needed'] as const) {
      assertValid('failover', failoverDoc('primary', [{ ...promoted, fencing }], []), `fencing ${fencing}`);
    }
  });
  test('errors only (exit 1)', () =>
    assertValid('failover', failoverDoc('secondary', [], [{ vm: 'web', error: new Error('web: the pair is healthy (both QEMUs run in COLO); a failover now drops its protection.') }]), 'an error'));
  test('nothing to do: empty lists', () => assertValid('failover', failoverDoc('secondary', [], []), 'empty'));

  test('rejects what failover never writes', () => {
    assertInvalid('failover', failoverDoc('secondary', [{ ...promoted, outcome: 'failed' as FailoverResult['outcome'] }], []), 'an unknown outcome');
    assertInvalid('failover', { ...(failoverDoc('secondary', [], []) as Node), to: 'both' }, 'an unknown target');
    assertInvalid('failover', failoverDoc('secondary', [{ ...promoted, timings: { ...promoted.timings, totalMs: -1 } }], []), 'a negative time');
    assertInvalid('failover', { format_version: '1.0', to: 'secondary', results: [], errors: [{ vm: 'web', error: { message: 'x' } }] }, 'an error object instead of its message');
  });
});

describe('apply-events.schema.json accepts every `colo apply --json` line', () => {
  /** The lines jsonHooks writes for the steps of a real plan, one of each event. */
  function hookLines(): string[] {
    const lines: string[] = [];
    const hooks = jsonHooks((l) => lines.push(l));
    const p = plan(webSpec(), null, observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], { web: [gone('alpha'), gone('beta')] }));
    const steps: PlannedStep[] = p.steps;
    assert.ok(steps.length >= 4 && steps.some((s) => s.vm === undefined), 'a plan with a host step and VM steps');
    for (const s of steps) {
      hooks.stepStart(s);
      hooks.stepProgress(s, 'waiting for BLOCK_JOB_READY');
      hooks.stepDone(s, 1234, s.kind === 'colo-start' ? 'COLO after 3 checkpoints' : undefined);
    }
    const replace = plan(webSpec({ memory: '256M' }), state({ web: vmState() }), healthyWeb(webSpec())).steps;
    hooks.stepStart(replace[0]!);
    hooks.stepFailed(replace[0]!, 88, new Error('QMP error: "x" not found'));
    for (const s of replace.slice(1)) hooks.stepSkipped(s, `an earlier step of web failed`);
    return lines;
  }

  test('every line jsonHooks writes is one instance', () => {
    const lines = hookLines();
    const types = new Set<string>();
    for (const l of lines) {
      assert.ok(!l.includes('\n'), 'one line per event');
      const ev = JSON.parse(l) as { type: string };
      types.add(ev.type);
      assertValid('apply-events', ev, `line ${l}`);
    }
    assert.deepEqual(types, new Set(['apply_start', 'apply_progress', 'apply_complete', 'apply_errored', 'apply_skipped']));
  });

  test('the change_summary lines apply.ts writes', () => {
    // src/cli/commands/apply.ts: { type, '@message', blocked } after steps ran, with nothing to do,
    // and with blocked pairs (then exit 1).
    const line = (message: string, blocked: unknown[] = []) => asJson({ type: 'change_summary', '@message': message, blocked });
    assertValid('apply-events', line('Apply complete! Resources: 5 added, 0 changed, 0 destroyed.'), 'apply summary');
    assertValid('apply-events', line('Destroy complete! Resources: 3 destroyed.'), 'destroy summary');
    assertValid('apply-events', line('No changes. Your infrastructure matches the configuration.'), 'no-changes summary');
    assertValid('apply-events', line('No changes applied.', [{ vm: 'web', reason: 'the primary QEMU on alpha is gone', hint: 'colo failover web --to secondary' }]), 'blocked summary');
    assertValid('apply-events', line('No changes applied.', [{ vm: 'web', reason: 'secondary host beta is unreachable' }]), 'blocked without a hint');
  });

  test('rejects what apply never writes', () => {
    const start = JSON.parse(hookLines()[0]!) as Node;
    assertInvalid('apply-events', { ...start, type: 'apply_finished' }, 'an unknown event type');
    assertInvalid('apply-events', { ...start, '@level': 'error' }, 'apply_start at level error');
    assertInvalid('apply-events', { ...start, hook: { ...(start['hook'] as Node), elapsed_ms: 5 } }, 'elapsed_ms on apply_start');
    const done = hookLines().map((l) => JSON.parse(l) as Node).find((e) => e['type'] === 'apply_complete')!;
    assertInvalid('apply-events', { ...done, hook: { ...(done['hook'] as Node), elapsed_ms: 1.5 } }, 'fractional milliseconds (the engine rounds)');
    assertInvalid('apply-events', { ...done, hook: { ...(done['hook'] as Node), action: 'recreate' } }, 'an unknown action');
    const { hook: _h, ...noHook } = start;
    assertInvalid('apply-events', noHook, 'a step event without its hook');
    assertInvalid('apply-events', { type: 'change_summary', '@message': 'x' }, 'a summary without blocked');
    assertInvalid('apply-events', { type: 'change_summary', '@message': 'x', blocked: [], changes: { add: 1, change: 0, remove: 0 } }, 'summary counts (apply.ts writes none)');
    assertInvalid('apply-events', { type: 'change_summary', '@message': 'x', blocked: [{ vm: 'web' }] }, 'a blocked pair without its reason');
  });
});
