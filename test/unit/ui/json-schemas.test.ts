/**
 * The JSON schemas of colo's machine output (schemas/plan, status, failover, apply-events, verify,
 * drill): each is
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
import { renderPlanJson } from '../../../src/ui/views/plan/plan-json.ts';
import { jsonHooks } from '../../../src/ui/views/apply/progress-json.ts';
import { pairStatuses } from '../../../src/plan/pair-status.ts';
import { checkpointFigures } from '../../../src/plan/checkpoint-figures.ts';
import { FailoverRefused, inVmOrder, type FailoverResult } from '../../../src/engine/failover.ts';
import type { VmVerification } from '../../../src/engine/verify.ts';
import { ApplyError } from '../../../src/engine/apply.ts';
import { QmpError } from '../../../src/qmp/types.ts';
import { TransportError } from '../../../src/transport/types.ts';
import { applyFailedEvent, changeSummaryEvent } from '../../../src/ui/views/apply/apply-json.ts';
import { failoverDocument } from '../../../src/ui/views/failover/failover-json.ts';
import { statusDocument } from '../../../src/ui/views/status/status-json.ts';
import { verifyDocument } from '../../../src/ui/views/verify/verify-json.ts';
import { drillDocument } from '../../../src/ui/views/drill/drill-json.ts';
import type { DrillPhase } from '../../../src/engine/drill.ts';
import type { Plan, PlannedStep } from '../../../src/plan/plan-model.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
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
} from '../plan/plan-fixtures.ts';

type Node = Record<string, unknown>;
const NAMES = ['plan', 'status', 'failover', 'apply-events', 'verify', 'drill'] as const;
type SchemaName = (typeof NAMES)[number];
/** How many properties the walk must at least find in each schema (a guard against walking nothing). */
const MIN_PROPERTIES: Record<SchemaName, number> = {
  plan: 10,
  status: 10,
  failover: 10,
  'apply-events': 10,
  verify: 10,
  drill: 8,
};

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
  assert.equal(
    v(doc),
    true,
    `${what} does not match schemas/${name}.schema.json: ${JSON.stringify(v.errors, null, 2)}`,
  );
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
    for (const [name, child] of Object.entries((n[key] as Record<string, unknown> | undefined) ?? {}))
      walk(child, `${at}/${key}/${name}`, visit);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames'])
    if (typeof n[key] === 'object') walk(n[key], `${at}/${key}`, visit);
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
          if (typeof child['description'] !== 'string' || child['description'].length < 10)
            missing.push(`${at}/properties/${prop}`);
        }
        for (const [def, child] of Object.entries((n['$defs'] as Record<string, Node> | undefined) ?? {})) {
          if (typeof child['description'] !== 'string') missing.push(`${at}/$defs/${def}`);
        }
        const items = n['items'] as Node | undefined;
        if (items && typeof items['description'] !== 'string') missing.push(`${at}/items`);
      });
      assert.deepEqual(missing, []);
      assert.ok(properties >= MIN_PROPERTIES[name], `only ${properties} properties walked`);
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
      return plan(
        spec,
        null,
        observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
          web: [gone('alpha'), gone('beta')],
        }),
      );
    },
    'no changes': () => plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec())),
    'update in place (attributes with before/after)': () =>
      plan(
        webSpec({ compareTimeout: '2s' }),
        state({ web: vmState() }),
        healthyWeb(webSpec(), { migrateParams: { 'x-checkpoint-delay': 5000 } }),
      ),
    'replace (forcesReplacement)': () =>
      plan(webSpec({ memory: '256M' }), state({ web: vmState() }), healthyWeb(webSpec())),
    'virtio disabled': () =>
      plan(
        webSpec(),
        state({ web: vmState() }),
        healthyWeb(webSpec(), {}, { virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] }),
      ),
    'blocked: primary gone (hint)': () => {
      const spec = webSpec();
      return plan(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
        }),
      );
    },
    'blocked: secondary host down': () => {
      const spec = webSpec();
      return plan(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), downHost('beta')], { web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta')] }),
      );
    },
    'removed VM (drift without host, files-delete)': () => {
      const spec = webSpec({ withApi: true, withoutWeb: true });
      const api = vmOf(spec, 'api');
      const obs = observation([obsHost('alpha'), obsHost('beta')], {
        api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
        web: [
          { host: 'alpha', alive: true, pid: 4242 },
          { host: 'beta', alive: true, pid: 5151 },
        ],
      });
      return plan(spec, state({ web: vmState(), api: vmState({ created: {} }) }), obs);
    },
    destroy: () => plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec()), 'destroy'),
    'refresh-only with drift': () =>
      plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec(), { objects: ['type'] }), 'refresh-only'),
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
    const docs = Object.values(cases).map(
      (m) => JSON.parse(renderPlanJson(m())) as Record<string, unknown[] | unknown>,
    );
    const some = (f: (d: Record<string, unknown>) => boolean) => docs.some(f);
    assert.ok(
      some((d) => (d['state'] as { lineage: unknown }).lineage === null),
      'a plan without a state',
    );
    assert.ok(
      some((d) => (d['resource_drift'] as unknown[]).length > 0),
      'drift',
    );
    assert.ok(
      some((d) => (d['blocked'] as { hint?: string }[]).some((b) => b.hint !== undefined)),
      'a blocked pair with a hint',
    );
    assert.ok(
      some((d) => (d['warnings'] as unknown[]).length > 0),
      'warnings',
    );
    assert.ok(
      some((d) => (d['resource_changes'] as { host: unknown }[]).some((c) => c.host !== null)),
      'steps on hosts',
    );
    assert.ok(
      some((d) =>
        (d['resource_changes'] as { change: { attributes: { forcesReplacement?: boolean }[] } }[]).some((c) =>
          c.change.attributes.some((a) => a.forcesReplacement),
        ),
      ),
      'forcesReplacement',
    );
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
    assertInvalid(
      'plan',
      { ...good, resource_changes: [{ ...changes[0]!, change: { actions: ['replace'], attributes: [] } }] },
      'replace as an action (it is delete+create)',
    );
    assertInvalid('plan', { ...good, summary: { add: 1, change: 0 } }, 'a summary without destroy');
    const { timestamp: _t, ...noTime } = good;
    assertInvalid('plan', noTime, 'no timestamp');
    assertInvalid('plan', { ...good, timestamp: 'yesterday' }, 'a timestamp that is not ISO 8601');
  });
});

describe('status.schema.json accepts `colo status --json` documents', () => {
  /** What `colo status --json` writes (StatusJson). */
  const statusDoc = (list: ReturnType<typeof pairStatuses>) => asJson(statusDocument(list));
  const spec = webSpec();
  const vm = vmOf(spec);

  const cases: Record<string, () => ReturnType<typeof pairStatuses>> = {
    protected: () => pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec)),
    'protected, with figures and the storm advice': () => {
      const t0 = 1_800_000_000_000;
      const checkpoints = Array.from({ length: 12 }, (_, i) => ({ stopMs: t0 + i * 200, resumeMs: t0 + i * 200 + 95 }));
      const reading = (n: number, atMs: number) => ({
        atMs,
        result: { ok: true as const, reading: { bytesAcked: 1e8 + n * 4e5, bytesReceived: 4 + 12 * n } },
      });
      const figures = checkpointFigures({
        intervalMs: 2000,
        tls: false,
        windows: [{ startMs: t0 - 10, endMs: t0 + 2500, checkpoints }],
        readings: [reading(300, t0 - 10), reading(312, t0 + 2500)],
      });
      return pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec), { web: figures });
    },
    'protected, total unknown, not sampled': () =>
      pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec), {
        web: checkpointFigures({
          intervalMs: 2000,
          tls: false,
          windows: [],
          readings: [{ atMs: 1, result: { ok: false, reason: 'ss is not installed on the host' } }],
        }),
      }),
    'not deployed': () =>
      pairStatuses(
        spec,
        null,
        observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), gone('beta')] }),
      ),
    'degraded: secondary gone': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [healthyPrimary(spec, vm, 'alpha', 'beta'), gone('beta')],
        }),
      ),
    'down: primary gone': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [gone('alpha'), healthySecondary(spec, vm, 'beta', 'alpha')],
        }),
      ),
    'unknown: primary host unreachable': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([downHost('alpha'), obsHost('beta')], { web: [healthySecondary(spec, vm, 'beta', 'alpha')] }),
      ),
    'after a failover (lastFailover)': () => {
      const st = state({
        web: vmState({
          primaryHost: 'beta',
          secondaryHost: 'alpha',
          primaryOrigin: 'promoted-secondary',
          status: 'degraded',
          lastFailover: { at: '2026-02-03T04:05:06.000Z', from: 'alpha', to: 'beta', durationMs: 812 },
        }),
      });
      const promoted = healthyPrimary(spec, vm, 'beta', 'alpha', {
        coloMode: 'none',
        coloReason: 'request',
        migrateStatus: 'none',
      });
      return pairStatuses(
        spec,
        st,
        observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), promoted] }),
      );
    },
    'two VMs': () => {
      const two = webSpec({ withApi: true });
      const api = vmOf(two, 'api');
      return pairStatuses(
        two,
        null,
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [gone('alpha'), gone('beta')],
          api: [healthyPrimary(two, api, 'alpha', 'beta'), healthySecondary(two, api, 'beta', 'alpha')],
        }),
      );
    },
  };

  for (const [name, make] of Object.entries(cases)) {
    test(name, () => assertValid('status', statusDoc(make()), `status "${name}"`));
  }

  test('the fixtures cover every health and both lastFailover forms', () => {
    const all = Object.values(cases).flatMap((m) => m());
    assert.deepEqual(
      new Set(all.map((p) => p.health)),
      new Set(['protected', 'degraded', 'down', 'not-deployed', 'unknown']),
    );
    assert.ok(all.some((p) => p.lastFailover !== null) && all.some((p) => p.lastFailover === null));
    assert.ok(all.some((p) => p.primary.pid === null) && all.some((p) => p.primary.pid !== null));
    assert.ok(all.some((p) => p.checkpoint.intervalMs !== null && p.checkpoint.compareTimeoutMs !== null));
  });

  test('rejects what status never writes', () => {
    const good = statusDoc(cases['protected']!()) as { vms: Node[] };
    const pair = good.vms[0]!;
    assertInvalid('status', { ...good, vms: [{ ...pair, health: 'fine' }] }, 'an unknown health');
    assertInvalid(
      'status',
      { ...good, vms: [{ ...pair, primary: { ...(pair['primary'] as Node), coloMode: 'tertiary' } }] },
      'an unknown COLO mode',
    );
    assertInvalid(
      'status',
      { ...good, vms: [{ ...pair, primary: { ...(pair['primary'] as Node), pid: '42' } }] },
      'a pid as a string',
    );
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
    virtioDisabled: [],
    announce: { state: 'sent', rounds: 5 },
    yanked: [],
    fencedHung: false,
  };
  const promotedMessage =
    'web now runs alone on beta (alpha fenced: stopped-over-ssh) in 320 ms [connect 41 ms, fence 230 ms, QMP ' +
    '18 ms, verify 25 ms]. Run "colo apply" to re-protect it.';
  const already: FailoverResult = {
    vm: 'api',
    outcome: 'already-failed-over',
    survivor: 'beta',
    fenced: 'alpha',
    fencing: 'not-needed',
    timings: { connectMs: 39, fenceMs: 0, qmpMs: 0, verifyMs: 0, totalMs: 0 },
    failedOverAt: '2026-02-03T04:05:06.000Z',
  };
  const alreadyMessage =
    'api already runs alone on beta (failed over at 2026-02-03T04:05:06.000Z); nothing to do. Run "colo ' +
    'apply" to re-protect it.';
  /** What `colo failover --json` writes (FailoverJson). */
  const failoverDoc = (
    to: 'secondary' | 'primary',
    results: FailoverResult[],
    errors: { vm: string; error: Error }[],
  ) => asJson(failoverDocument(to, { results, errors }));

  test('promoted and already failed over', () => {
    const doc = failoverDoc('secondary', [promoted, already], []) as { results: { message: string }[] };
    assertValid('failover', doc, 'two results');
    assert.deepEqual(
      doc.results.map((r) => r.message),
      [promotedMessage, alreadyMessage],
    );
  });
  test('a promotion that left a virtio device disabled says so in its message', () => {
    const warned = { ...promoted, virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] };
    const doc = failoverDoc('secondary', [warned], []) as { results: { message: string }[] };
    assertValid('failover', doc, 'a warning');
    assert.equal(
      doc.results[0]!.message,
      `${promotedMessage} Warning: virtio device(s) /machine/peripheral/nic-net0/virtio-backend on beta are disabled.`,
    );
  });
  test('the announcement: sent, off, failed (a warning in the message); never on an already-failed-over VM', () => {
    for (const announce of [{ state: 'off' }, { state: 'failed', error: 'QMP error: no' }] as const) {
      const doc = failoverDoc('secondary', [{ ...promoted, announce }], []) as {
        results: { message: string; announce: unknown }[];
      };
      assertValid('failover', doc, `announce ${announce.state}`);
      assert.deepEqual(doc.results[0]!.announce, announce);
      if (announce.state === 'off') assert.equal(doc.results[0]!.message, promotedMessage);
      else assert.match(doc.results[0]!.message, /Warning: announce-self on beta failed \(QMP error: no\); switches/);
    }
    const doc = failoverDoc('secondary', [promoted, already], []) as { results: Record<string, unknown>[] };
    assert.deepEqual(doc.results[0]!['announce'], { state: 'sent', rounds: 5 });
    assert.equal('announce' in doc.results[1]!, false);
    const bad = { ...doc, results: [{ ...doc.results[0], announce: { state: 'maybe' } }] };
    assertInvalid('failover', bad, 'an unknown announce state');
  });
  test('a promotion reports the connections yanked on the survivor and whether the fenced side was hung', () => {
    const yanked = ['block-node nbd-disk0', 'chardev mirror0-net0', 'migration'];
    const doc = failoverDoc(
      'primary',
      [{ ...promoted, fencing: 'fence-command', yanked, fencedHung: true }, already],
      [],
    ) as {
      results: Record<string, unknown>[];
    };
    assertValid('failover', doc, 'yanked and hung');
    assert.deepEqual([doc.results[0]!['yanked'], doc.results[0]!['fencedHung']], [yanked, true]);
    assert.equal('yanked' in doc.results[1]!, false, 'nothing yanked when already failed over');
    assert.equal('fencedHung' in doc.results[1]!, false);
    const plain = failoverDoc('secondary', [promoted], []) as { results: Record<string, unknown>[] };
    assert.deepEqual([plain.results[0]!['yanked'], plain.results[0]!['fencedHung']], [[], false]);
    const bad = { ...doc, results: [{ ...doc.results[0], yanked: ['qmp monitor0'] }] };
    assertInvalid('failover', bad, 'an instance colo never yanks');
  });
  test('every fencing kind, to the primary', () => {
    for (const fencing of ['stopped-over-ssh', 'fence-command', 'operator', 'not-needed'] as const) {
      const result = { ...promoted, fencing } as FailoverResult;
      assertValid('failover', failoverDoc('primary', [result], []), `fencing ${fencing}`);
    }
  });
  test('errors only (exit 1), each with its class name as kind', () => {
    const errors = [
      {
        vm: 'web',
        error: new FailoverRefused(
          'web: the pair is healthy (both QEMUs run in COLO); a failover now drops its protection.',
        ),
      },
      { vm: 'api', error: new QmpError('x-colo-lost-heartbeat', 'GenericError', 'COLO is not enabled') },
      { vm: 'db', error: new TransportError('beta', 'beta: connect ECONNREFUSED 127.0.0.12:2222') },
      { vm: 'cache', error: new Error('unexpected') },
    ];
    const doc = failoverDoc('secondary', [], errors) as { errors: { vm: string; kind: string; error: string }[] };
    assertValid('failover', doc, 'errors');
    assert.deepEqual(
      doc.errors.map((e) => [e.vm, e.kind]),
      [
        ['web', 'FailoverRefused'],
        ['api', 'QmpError'],
        ['db', 'TransportError'],
        ['cache', 'Error'],
      ],
    );
    assert.equal(doc.errors[1]!.error, 'x-colo-lost-heartbeat: GenericError: COLO is not enabled');
  });
  test('results and errors in spec order, whatever order they completed in (inVmOrder)', () => {
    const specOrder = [{ name: 'web' }, { name: 'api' }, { name: 'db' }];
    const completed = [
      { ...already, vm: 'db' },
      { ...promoted, vm: 'web' },
      { ...already, vm: 'api' },
    ];
    assert.deepEqual(
      inVmOrder(specOrder, completed).map((r) => r.vm),
      ['web', 'api', 'db'],
    );
    assert.deepEqual(
      completed.map((r) => r.vm),
      ['db', 'web', 'api'],
      'the input list is left as it was',
    );
    const errs = [
      { vm: 'db', error: new Error('b') },
      { vm: 'web', error: new Error('a') },
    ];
    assert.deepEqual(
      inVmOrder(specOrder, errs).map((e) => e.vm),
      ['web', 'db'],
    );
    assertValid(
      'failover',
      failoverDoc('secondary', inVmOrder(specOrder, completed), inVmOrder(specOrder, errs)),
      'ordered document',
    );
  });
  test('nothing to do: empty lists', () => assertValid('failover', failoverDoc('secondary', [], []), 'empty'));

  test('rejects what failover never writes', () => {
    assertInvalid(
      'failover',
      failoverDoc('secondary', [{ ...promoted, outcome: 'failed' } as unknown as FailoverResult], []),
      'an unknown outcome',
    );
    assertInvalid('failover', { ...(failoverDoc('secondary', [], []) as Node), to: 'both' }, 'an unknown target');
    assertInvalid(
      'failover',
      failoverDoc('secondary', [{ ...promoted, timings: { ...promoted.timings, totalMs: -1 } }], []),
      'a negative time',
    );
    assertInvalid(
      'failover',
      {
        format_version: '1.0',
        to: 'secondary',
        results: [],
        errors: [{ vm: 'web', kind: 'Error', error: { message: 'x' } }],
      },
      'an error object instead of its message',
    );
    assertInvalid(
      'failover',
      { format_version: '1.0', to: 'secondary', results: [], errors: [{ vm: 'web', error: 'x' }] },
      'an error without its kind',
    );
    assertInvalid(
      'failover',
      {
        format_version: '1.0',
        to: 'secondary',
        results: [],
        errors: [{ vm: 'web', kind: 'Failover refused', error: 'x' }],
      },
      'a kind that is not a class name',
    );
  });
});

describe('apply-events.schema.json accepts every `colo apply --json` line', () => {
  /** The lines jsonHooks writes for the steps of a real plan, one of each event. */
  function hookLines(): string[] {
    const lines: string[] = [];
    const hooks = jsonHooks((l) => lines.push(l));
    const p = plan(
      webSpec(),
      null,
      observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
        web: [gone('alpha'), gone('beta')],
      }),
    );
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
    assert.deepEqual(
      types,
      new Set(['apply_start', 'apply_progress', 'apply_complete', 'apply_errored', 'apply_skipped']),
    );
  });

  test('the change_summary lines apply.ts writes (changeSummaryEvent)', () => {
    // After steps ran (counts of what was done), with nothing to do (zeros), and with blocked pairs (then exit 1).
    const zero = { add: 0, change: 0, remove: 0 };
    const line = (message: string, changes = zero, blocked: Plan['blocked'] = []) =>
      asJson(changeSummaryEvent(message, changes, blocked));
    assertValid(
      'apply-events',
      line('Apply complete! Resources: 5 added, 1 changed, 1 destroyed.', { add: 5, change: 1, remove: 1 }),
      'apply summary',
    );
    assertValid(
      'apply-events',
      line('Destroy complete! Resources: 3 destroyed.', { add: 0, change: 0, remove: 3 }),
      'destroy summary',
    );
    assertValid(
      'apply-events',
      line('No changes. Your infrastructure matches the configuration.'),
      'no-changes summary',
    );
    assertValid(
      'apply-events',
      line('No changes applied.', zero, [
        { vm: 'web', reason: 'the primary QEMU on alpha is gone', hint: 'colo failover web --to secondary' },
      ]),
      'blocked summary',
    );
    assertValid(
      'apply-events',
      line('No changes applied.', zero, [{ vm: 'web', reason: 'secondary host beta is unreachable' }]),
      'blocked without a hint',
    );
    const ev = changeSummaryEvent('x', { add: 2, change: 0, remove: 1 }, [], new Date('2026-02-03T04:05:06.000Z'));
    assert.deepEqual(ev, {
      '@level': 'info',
      '@message': 'x',
      '@timestamp': '2026-02-03T04:05:06.000Z',
      type: 'change_summary',
      changes: { add: 2, change: 0, remove: 1 },
      blocked: [],
    });
  });

  test('the apply_failed line apply.ts writes when runApply throws (applyFailedEvent)', () => {
    const steps = plan(
      webSpec(),
      null,
      observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
        web: [gone('alpha'), gone('beta')],
      }),
    ).steps;
    const hostStep = steps.find((s) => s.vm === undefined)!;
    const vmStep = steps.find((s) => s.kind === 'secondary-images')!;
    const err = new ApplyError(
      'apply failed for 2 steps; 1 of 6 steps done\n  web: stopped at ...\nFix the cause and run "colo apply" again.',
      [
        { step: hostStep, error: new Error('beta: mkdir exited 1: Permission denied') },
        { vm: 'web', step: vmStep, error: new QmpError('blockdev-mirror', 'GenericError', 'Could not open image') },
      ],
    );
    const ev = applyFailedEvent(err, new Date('2026-02-03T04:05:06.000Z'));
    const line = JSON.stringify(ev);
    assert.ok(!line.includes('\n'), 'one line, though the message has several');
    assertValid('apply-events', JSON.parse(line), 'apply_failed');
    assert.equal(ev['@message'], err.message);
    assert.deepEqual(ev.failures, [
      { vm: null, address: hostStep.address, kind: 'host-prepare', error: 'beta: mkdir exited 1: Permission denied' },
      {
        vm: 'web',
        address: vmStep.address,
        kind: 'secondary-images',
        error: 'blockdev-mirror: GenericError: Could not open image',
      },
    ]);
  });

  test('rejects what apply never writes', () => {
    const start = JSON.parse(hookLines()[0]!) as Node;
    assertInvalid('apply-events', { ...start, type: 'apply_finished' }, 'an unknown event type');
    assertInvalid('apply-events', { ...start, '@level': 'error' }, 'apply_start at level error');
    assertInvalid(
      'apply-events',
      { ...start, hook: { ...(start['hook'] as Node), elapsed_ms: 5 } },
      'elapsed_ms on apply_start',
    );
    const done = hookLines()
      .map((l) => JSON.parse(l) as Node)
      .find((e) => e['type'] === 'apply_complete')!;
    assertInvalid(
      'apply-events',
      { ...done, hook: { ...(done['hook'] as Node), elapsed_ms: 1.5 } },
      'fractional milliseconds (the engine rounds)',
    );
    assertInvalid(
      'apply-events',
      { ...done, hook: { ...(done['hook'] as Node), action: 'recreate' } },
      'an unknown action',
    );
    const { hook: _h, ...noHook } = start;
    assertInvalid('apply-events', noHook, 'a step event without its hook');
    const summary = asJson(changeSummaryEvent('x', { add: 1, change: 0, remove: 0 }, [])) as Node;
    const { blocked: _b, ...noBlocked } = summary;
    assertInvalid('apply-events', noBlocked, 'a summary without blocked');
    const { changes: _c, ...noChanges } = summary;
    assertInvalid('apply-events', noChanges, 'a summary without counts');
    const { '@timestamp': _ts, ...noTimestamp } = summary;
    assertInvalid('apply-events', noTimestamp, 'a summary without @timestamp');
    assertInvalid(
      'apply-events',
      { ...summary, changes: { add: 1, change: 0, destroy: 0 } },
      'destroy instead of remove',
    );
    assertInvalid('apply-events', { ...summary, changes: { add: -1, change: 0, remove: 0 } }, 'a negative count');
    assertInvalid('apply-events', { ...summary, '@level': 'error' }, 'a summary at level error');
    assertInvalid('apply-events', { ...summary, blocked: [{ vm: 'web' }] }, 'a blocked pair without its reason');
    const failed = {
      '@level': 'error',
      '@message': 'apply failed',
      '@timestamp': '2026-02-03T04:05:06.000Z',
      type: 'apply_failed',
      failures: [{ vm: 'web', address: 'vm.web.colo', kind: 'colo-start', error: 'x' }],
    };
    assertValid('apply-events', failed, 'a hand-built apply_failed');
    assertInvalid('apply-events', { ...failed, failures: [] }, 'apply_failed without failures');
    assertInvalid('apply-events', { ...failed, '@level': 'info' }, 'apply_failed at level info');
    assertInvalid(
      'apply-events',
      { ...failed, failures: [{ vm: 'web', address: 'vm.web.colo', kind: 'colo-start' }] },
      'a failure without its error',
    );
    assertInvalid('apply-events', { ...failed, changes: { add: 0, change: 0, remove: 0 } }, 'counts on apply_failed');
  });
});

describe('verify.schema.json accepts `colo verify --json` documents', () => {
  const allOk: VmVerification = {
    vm: 'web',
    ok: true,
    primary: 'alpha',
    secondary: 'beta',
    checks: [
      { name: 'colo', ok: true, detail: 'alpha primary, beta secondary, migration colo' },
      { name: 'checkpoints', ok: true, detail: 'a checkpoint completed 812 ms into the check (interval 2000 ms)' },
      { name: 'virtio', ok: true, detail: 'no secondary virtio device disabled' },
      { name: 'console', ok: true, detail: 'no crash on the secondary console' },
      { name: 'service', ok: true, detail: '127.0.0.11:8080 answered in 14 ms: hello from web' },
    ],
    ms: 1834,
    advice: [{ kind: 'long-pauses', message: 'web: long checkpoint pauses: p95 420 ms, last 410 ms' }],
  };
  const broken: VmVerification = {
    vm: 'api',
    ok: false,
    primary: 'beta',
    secondary: 'alpha',
    checks: [
      { name: 'colo', ok: false, detail: 'the secondary is down: no QEMU of api runs on alpha' },
      {
        name: 'checkpoints',
        ok: false,
        detail: 'the checkpoint counter stopped: no checkpoint within 9 s (x-checkpoint-delay 2000 ms)',
      },
      {
        name: 'virtio',
        ok: false,
        detail: 'secondary virtio device(s) stuck disabled: /machine/peripheral/nic-net0/virtio-backend',
      },
      {
        name: 'console',
        ok: false,
        detail: 'the secondary guest crashed: Kernel panic - not syncing: Fatal exception',
      },
      {
        name: 'service',
        ok: false,
        detail: '127.0.0.12:8081 did not answer (12 tries in 15 s): connect ECONNREFUSED 127.0.0.12:8081',
      },
    ],
    ms: 15020,
    advice: [],
  };
  /** --probe none: no service check; serviceOnly (drill after a failover): the service check alone. */
  const noProbe: VmVerification = { ...allOk, checks: allOk.checks.filter((c) => c.name !== 'service') };
  const serviceOnly: VmVerification = {
    ...allOk,
    primary: 'beta',
    secondary: 'alpha',
    checks: [{ name: 'service', ok: true, detail: 'no TCP host forward to probe (tap/bridge networking): skipped' }],
    ms: 3,
  };
  /** What `colo verify --json` writes (VerifyJson). */
  const verifyDoc = (list: VmVerification[]) => asJson(verifyDocument(list));

  test('every check passed', () => assertValid('verify', verifyDoc([allOk]), 'all ok'));
  test('every check failed (exit 1)', () => {
    const doc = verifyDoc([allOk, broken]) as { ok: boolean };
    assert.equal(doc.ok, false);
    assertValid('verify', doc, 'one pair broken');
  });
  test('--probe none and the service check alone', () =>
    assertValid('verify', verifyDoc([noProbe, serviceOnly]), 'fewer checks'));
  test('no VM', () => assertValid('verify', verifyDoc([]), 'empty'));

  test('rejects what verify never writes', () => {
    const good = verifyDoc([allOk]) as Node;
    assertInvalid('verify', { ...good, format_version: '2.0' }, 'another format version');
    assertInvalid('verify', { ...good, extra: true }, 'an unknown top-level field');
    const { ok: _ok, ...noOk } = good;
    assertInvalid('verify', noOk, 'no ok');
    assertInvalid('verify', verifyDoc([{ ...allOk, ms: 1.5 }]), 'fractional milliseconds');
    assertInvalid(
      'verify',
      verifyDoc([{ ...allOk, checks: [{ name: 'disk' as 'colo', ok: true, detail: 'x' }] }]),
      'an unknown check',
    );
    assertInvalid(
      'verify',
      verifyDoc([{ ...allOk, checks: [{ name: 'colo', ok: true, detail: '' }] }]),
      'a check without detail',
    );
    assertInvalid('verify', verifyDoc([{ ...allOk, primary: '127.0.0.11' }]), 'an address instead of a host name');
  });
});

describe('drill.schema.json accepts `colo drill --json` documents', () => {
  type Phase = { phase: string; ok: boolean; ms: number; detail: string };
  const round = (suffix: string): Phase[] => [
    { phase: `verify before${suffix}`, ok: true, ms: 2150, detail: 'colo, checkpoints, virtio, console, service' },
    {
      phase: `failover to the secondary${suffix}`,
      ok: true,
      ms: 420,
      detail:
        'web now runs alone on beta (alpha fenced: stopped-over-ssh) in 398 ms [connect 41 ms, fence 230 ms, ' +
        'QMP 18 ms, verify 25 ms].',
    },
    { phase: `service on the new primary${suffix}`, ok: true, ms: 35, detail: 'service' },
    {
      phase: `re-protect${suffix}`,
      ok: true,
      ms: 9800,
      detail: 'Apply complete! Resources: 3 added, 0 changed, 1 destroyed.',
    },
    { phase: `verify after${suffix}`, ok: true, ms: 2240, detail: 'colo, checkpoints, virtio, console, service' },
  ];
  /** What `colo drill --json` writes: after the last phase, or at the first failed one. */
  const drillDoc = (ok: boolean, phases: Phase[]) => asJson({ format_version: '1.0', vm: 'web', ok, phases });

  /** The phases as the engine returns them (src/engine/drill.ts) for the documents of `round`. */
  const verification = (names: VmVerification['checks'][number]['name'][]): VmVerification => ({
    vm: 'web',
    ok: true,
    primary: 'alpha',
    secondary: 'beta',
    checks: names.map((name) => ({ name, ok: true, detail: `${name} fine` })),
    ms: 5,
    advice: [],
  });
  const allChecks = () => verification(['colo', 'checkpoints', 'virtio', 'console', 'service']);
  const enginePhases = (round: number): DrillPhase[] => [
    { name: 'verify before', round, ok: true, ms: 2150, finding: { kind: 'verify', verification: allChecks() } },
    {
      name: 'failover to the secondary',
      round,
      ok: true,
      ms: 420,
      finding: {
        kind: 'failover',
        result: {
          vm: 'web',
          outcome: 'promoted',
          survivor: 'beta',
          fenced: 'alpha',
          fencing: 'stopped-over-ssh',
          timings: { connectMs: 41, fenceMs: 230, qmpMs: 18, verifyMs: 25, totalMs: 398 },
          virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'],
          announce: { state: 'sent', rounds: 5 },
          yanked: [],
          fencedHung: false,
        },
      },
    },
    {
      name: 'service on the new primary',
      round,
      ok: true,
      ms: 35,
      finding: { kind: 'verify', verification: verification(['service']) },
    },
    {
      name: 're-protect',
      round,
      ok: true,
      ms: 9800,
      finding: { kind: 'apply', changes: { add: 3, change: 0, remove: 1 } },
    },
    { name: 'verify after', round, ok: true, ms: 2240, finding: { kind: 'verify', verification: allChecks() } },
  ];

  test("drillDocument writes the engine's phases as these documents", () => {
    const one = drillDocument({ vm: 'web', rounds: 1, ok: true, phases: enginePhases(1) });
    assert.deepEqual(asJson(one), drillDoc(true, round('')));
    const two = drillDocument({ vm: 'web', rounds: 2, ok: true, phases: [...enginePhases(1), ...enginePhases(2)] });
    assert.deepEqual(asJson(two), drillDoc(true, [...round(' (round 1)'), ...round(' (round 2)')]));
    const error =
      'web: the survivor host beta is unreachable (connect ECONNREFUSED 127.0.0.12:2222); cannot promote it';
    const failed: DrillPhase = { name: 'failover to the secondary', round: 1, ok: false, ms: 12, error };
    const doc = drillDocument({ vm: 'web', rounds: 1, ok: false, phases: [enginePhases(1)[0]!, failed] });
    assert.deepEqual(
      asJson(doc),
      drillDoc(false, [round('')[0]!, { phase: 'failover to the secondary', ok: false, ms: 12, detail: error }]),
    );
    const broken = allChecks();
    broken.ok = false;
    broken.checks[1] = { name: 'checkpoints', ok: false, detail: 'the checkpoint counter stopped' };
    broken.checks[4] = { name: 'service', ok: false, detail: '127.0.0.11:8080 did not answer' };
    const unverified: DrillPhase = {
      ...enginePhases(1)[4]!,
      ok: false,
      finding: { kind: 'verify', verification: broken },
    };
    const last = drillDocument({ vm: 'web', rounds: 1, ok: false, phases: [unverified] }).phases[0]!;
    assert.equal(last.detail, 'the checkpoint counter stopped; 127.0.0.11:8080 did not answer');
    assertValid('drill', asJson(doc), 'from the engine');
  });

  test('a passed drill', () => assertValid('drill', drillDoc(true, round('')), 'passed'));
  test('--back: two rounds', () =>
    assertValid('drill', drillDoc(true, [...round(' (round 1)'), ...round(' (round 2)')]), 'two rounds'));
  test('failed at the failover (exit 1): the last phase is the failed one', () => {
    const phases = [
      round('')[0]!,
      {
        phase: 'failover to the secondary',
        ok: false,
        ms: 12,
        detail: 'web: the survivor host beta is unreachable (connect ECONNREFUSED 127.0.0.12:2222); cannot promote it',
      },
    ];
    assertValid('drill', drillDoc(false, phases), 'failed');
  });
  test('a phase with no checks to name (--probe none, service only)', () =>
    assertValid('drill', drillDoc(true, [{ ...round('')[2]!, detail: '' }]), 'empty detail'));
  test('failed before any phase recorded', () => assertValid('drill', drillDoc(false, []), 'no phases'));

  test('rejects what drill never writes', () => {
    const good = drillDoc(true, round('')) as Node;
    assertInvalid('drill', { ...good, format_version: '1.1' }, 'another format version');
    assertInvalid('drill', { ...good, vm: 'no such vm' }, 'a VM name with spaces');
    const { phases: _p, ...noPhases } = good;
    assertInvalid('drill', noPhases, 'no phases');
    assertInvalid('drill', drillDoc(true, [{ phase: 'reboot', ok: true, ms: 1, detail: 'x' }]), 'an unknown phase');
    assertInvalid(
      'drill',
      drillDoc(true, [{ phase: 'verify before (round 3)', ok: true, ms: 1, detail: 'x' }]),
      'a third round',
    );
    assertInvalid('drill', drillDoc(true, [{ ...round('')[0]!, ms: -1 }]), 'a negative duration');
    assertInvalid('drill', drillDoc(true, [{ ...round('')[0]!, extra: 1 } as Phase]), 'an unknown phase field');
  });
});

describe('the golden --json outputs match their schemas', () => {
  const golden = (dir: string) => fileURLToPath(new URL(`../../fixtures/golden/${dir}/`, import.meta.url));
  const cases: [SchemaName, string, string][] = [
    ['status', 'status', '.json'],
    ['verify', 'verify', '.json'],
    ['failover', 'failover', '.json'],
    ['drill', 'drill', '.json'],
    ['apply-events', 'apply', '.jsonl'],
  ];
  for (const [schema, dir, ext] of cases) {
    test(`test/fixtures/golden/${dir}/*${ext}`, () => {
      const files = readdirSync(golden(dir)).filter((f) => f.endsWith(ext));
      assert.ok(files.length >= 2, `only ${files.length} golden files in ${dir}`);
      for (const f of files) {
        const text = readFileSync(`${golden(dir)}${f}`, 'utf8');
        const docs = ext === '.jsonl' ? text.trimEnd().split('\n') : [text];
        for (const d of docs) assertValid(schema, JSON.parse(d), `golden ${dir}/${f}`);
      }
    });
  }
});
