/** src/state/plan-file.ts: saved plans (`plan -out`, `apply FILE`): round trip, corruption, staleness. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PlanFileError, assertPlanFresh, readPlanFile, writePlanFile } from '../../../src/state/plan-file.ts';
import { specHash } from '../../../src/plan/spec-hash.ts';
import type { Plan } from '../../../src/plan/plan-model.ts';
import {
  SPEC_FILE,
  LINEAGE,
  healthyPrimary,
  obsHost,
  observation,
  plan,
  state,
  vmOf,
  vmState,
  webSpec,
  webSpecYaml,
} from '../plan/plan-fixtures.ts';

/** The user and home directory plan-fixtures load their specs with. */
const ENV = { defaultUser: 'root', homeDir: '/root' };

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'colo-planfile-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
let n = 0;
const file = () => path.join(root, `plan-${++n}.json`);

/** A real plan (secondary gone: four steps) whose specHash is the spec's, and the spec's text. */
function savedPlan(): { plan: Plan; spec: ReturnType<typeof webSpec>; text: string } {
  const text = webSpecYaml();
  const spec = webSpec();
  const obs = observation([obsHost('alpha'), obsHost('beta')], {
    web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta'), { host: 'beta', alive: false }],
  });
  const p = { ...plan(spec, state({ web: vmState() }), obs), specHash: specHash(spec) };
  return { plan: p, spec, text };
}

const rejects = (p: Promise<unknown>, message: string | RegExp) =>
  assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof PlanFileError, `expected a PlanFileError, got ${err.name}: ${err.message}`);
    assert.equal(err.name, 'PlanFileError');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });

describe('specHash', () => {
  test('sha256 hex, stable, sensitive to any spec change', () => {
    const a = specHash(webSpec());
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(specHash(webSpec()), a);
    assert.notEqual(specHash(webSpec({ interval: '3s' })), a);
  });
});

describe('writePlanFile / readPlanFile', () => {
  test('round trip: the same plan comes back, and the spec loaded from the saved text', async () => {
    const { plan: p, spec, text } = savedPlan();
    const f = file();
    await writePlanFile(f, p, text);
    const back = await readPlanFile(f, ENV);
    assert.deepEqual(back.plan, p);
    assert.deepEqual(back.spec, spec);
    assert.equal(back.plan.steps.length, 4);
  });

  test('written private (0600), one JSON document of kind colo-plan with the spec text', async () => {
    const { plan: p, text } = savedPlan();
    const f = file();
    await writePlanFile(f, p, text);
    assert.equal((await stat(f)).mode & 0o777, 0o600);
    const doc = JSON.parse(await readFile(f, 'utf8')) as { kind: string; plan: Plan; specText: string };
    assert.equal(doc.kind, 'colo-plan');
    assert.equal(doc.plan.formatVersion, '1.0');
    assert.equal(doc.specText, text);
  });

  test('replacing an existing, wider file leaves a private file and no temporary behind', async () => {
    const { plan: p, text } = savedPlan();
    const f = file();
    await writeFile(f, 'old plan\n', { mode: 0o644 });
    await chmod(f, 0o644);
    await writePlanFile(f, p, text);
    assert.equal((await stat(f)).mode & 0o777, 0o600);
    assert.deepEqual((await readPlanFile(f, ENV)).plan, p);
    assert.deepEqual(
      (await readdir(root)).filter((e) => e.startsWith(path.basename(f)) && e !== path.basename(f)),
      [],
    );
  });

  test('missing file', async () => {
    const f = path.join(root, 'nope.json');
    await rejects(readPlanFile(f, ENV), `cannot read saved plan ${f}: ENOENT`);
  });

  test('not JSON', async () => {
    const f = file();
    await writeFile(f, '{"kind": "colo-plan", ');
    await rejects(readPlanFile(f, ENV), `${f} is not a saved colo plan (not JSON)`);
  });

  test('not a colo plan, another format version, or a resolved spec instead of its text', async () => {
    const { plan: p, spec, text } = savedPlan();
    const docs: unknown[] = [
      null,
      42,
      [],
      { kind: 'terraform-plan', plan: p, specText: text },
      { kind: 'colo-plan', specText: text },
      { kind: 'colo-plan', plan: { ...p, formatVersion: '2.0' }, specText: text },
      { kind: 'colo-plan', plan: p },
      { kind: 'colo-plan', plan: p, spec }, // the older layout: a resolved spec that nothing checked
      { kind: 'colo-plan', plan: p, specText: { vms: {} } },
    ];
    for (const doc of docs) {
      const f = file();
      await writeFile(f, JSON.stringify(doc));
      await rejects(readPlanFile(f, ENV), `${f} is not a saved colo plan of a format this colo reads`);
    }
  });

  test('a spec edited inside the file (still valid) is refused as corrupt', async () => {
    const { plan: p, text } = savedPlan();
    const f = file();
    assert.ok(text.includes('memory: 128M'));
    await writePlanFile(f, p, text.replace('memory: 128M', 'memory: 256M'));
    await rejects(readPlanFile(f, ENV), /^\S+ is corrupt: its spec does not match the hash the plan recorded/);
  });

  test('a saved spec that fails the schema or the semantic checks is refused with every problem', async () => {
    const { plan: p, text } = savedPlan();
    const cases: [string, RegExp][] = [
      // schema: an injection through a host path (a QEMU option separator and a shell substitution)
      [text.replace('/srv/images/web.qcow2', 'images/web.qcow2,file.locking=off'), /disks\[0\]\.image: relative path/],
      // schema: an unknown key and a wrong type
      [text.replace('smp: 1', 'smp: many'), /vms\.web\.machine\.smp/],
      // semantic: primary and secondary on one host
      [text.replace('secondary: beta', 'secondary: alpha'), /secondary/],
      // YAML
      [`${text}\n  : [`, /\d+:\d+: /],
    ];
    for (const [bad, why] of cases) {
      const f = file();
      await writePlanFile(f, p, bad);
      await rejects(readPlanFile(f, ENV), why);
      await assert.rejects(readPlanFile(f, ENV), (e: Error) => {
        assert.match(e.message, /the spec saved in this plan has \d+ problems? \(colo checks it like a spec file\):\n/);
        assert.match(e.message, new RegExp(`\\n${SPEC_FILE.replaceAll('/', '\\/')}:\\d+:\\d+: `));
        return true;
      });
    }
  });

  test('a spec that resolves differently here (another user and home) is refused', async () => {
    const { plan: p, text } = savedPlan();
    const f = file();
    await writePlanFile(f, p, text);
    await rejects(
      readPlanFile(f, { defaultUser: 'mallory', homeDir: '/home/mallory' }),
      /is corrupt: .*resolves differently/,
    );
  });

  test("a plan whose hash is not its spec's is refused on read", async () => {
    const { plan: p, text } = savedPlan();
    const f = file();
    await writePlanFile(f, { ...p, specHash: specHash(webSpec({ interval: '3s' })) }, text);
    await rejects(readPlanFile(f, ENV), /is corrupt/);
  });
});

describe('assertPlanFresh', () => {
  const { plan: p } = savedPlan();

  test('same lineage and serial: fresh', () => {
    assert.equal(p.stateLineage, LINEAGE);
    assert.equal(p.stateSerial, 7);
    assert.doesNotThrow(() => assertPlanFresh(p, state({ web: vmState() }, 7), 'plan.out'));
  });

  test('the state moved on (serial): stale, both states named', () => {
    assert.throws(
      () => assertPlanFresh(p, state({ web: vmState() }, 8), 'plan.out'),
      (err: Error) =>
        err instanceof PlanFileError &&
        err.message ===
          `Saved plan is stale: plan.out was made against state ${LINEAGE} serial 7, but the state is now ` +
            `${LINEAGE} serial 8. Run "colo plan" again.`,
    );
  });

  test('another state (lineage): stale', () => {
    const other = { ...state({}, 7), lineage: '00000000-0000-4000-8000-000000000000' };
    assert.throws(
      () => assertPlanFresh(p, other, 'plan.out'),
      /the state is now 00000000-0000-4000-8000-000000000000 serial 7/,
    );
  });

  test('a plan made without a state', () => {
    const none = { ...p, stateLineage: null, stateSerial: 0 };
    assert.doesNotThrow(() => assertPlanFresh(none, null, 'plan.out'));
    assert.throws(
      () => assertPlanFresh(none, state({}, 1), 'plan.out'),
      (err: Error) =>
        err instanceof PlanFileError && /made against state \(none\) serial 0, but the state is now/.test(err.message),
    );
  });

  test('the state was deleted since the plan', () => {
    assert.throws(() => assertPlanFresh(p, null, 'plan.out'), /but the state is now \(none\) serial 0/);
  });
});
