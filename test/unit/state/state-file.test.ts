import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  StateError,
  assertSameLineage,
  backupPathFor,
  newState,
  readState,
  writeState,
} from '../../../src/state/state-file.ts';
import {
  forgetCreated,
  forgetStarted,
  newVmState,
  recordCreated,
  recordFailover,
  recordStarted,
  removeVm,
  setVm,
  updateVm,
  withStatus,
} from '../../../src/plan/state-transitions.ts';
import type { ColoState } from '../../../src/plan/state-model.ts';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-state-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

let n = 0;
const freshPath = () => path.join(root, `case-${++n}`, '.colo', 'state.json');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function sampleState(): ColoState {
  let s = newState('0.1.0');
  s = updateVm(s, 'web', () =>
    recordCreated(
      recordStarted(
        recordStarted(newVmState('alpha', 'beta'), 'alpha', {
          role: 'primary',
          argvHash: 'sha256:aa',
          pid: 4242,
          at: '2026-01-02T03:04:05.000Z',
        }),
        'beta',
        {
          role: 'secondary',
          argvHash: 'sha256:bb',
          pid: 4343,
          at: '2026-01-02T03:04:06.000Z',
        },
      ),
      'beta',
      ['/var/lib/colo/web/base.qcow2', '/var/lib/colo/web/active.qcow2'],
    ),
  );
  return s;
}

describe('newState', () => {
  test('has version 1, serial 0, a random UUID lineage and no VMs', () => {
    const a = newState('1.2.3');
    const b = newState('1.2.3');
    assert.equal(a.version, 1);
    assert.equal(a.serial, 0);
    assert.equal(a.coloVersion, '1.2.3');
    assert.deepEqual(a.vms, {});
    assert.match(a.lineage, UUID_RE);
    assert.notEqual(a.lineage, b.lineage);
  });
});

describe('readState / writeState', () => {
  test('a missing file reads as null', async () => {
    assert.equal(await readState(freshPath()), null);
  });

  test('first write creates the parent directory 0700, serial 1, file 0600, no backup', async () => {
    const p = freshPath();
    const s = sampleState();
    const written = await writeState(p, s);
    assert.equal(written.serial, 1);
    assert.equal(s.serial, 0, 'the input is not mutated');
    const dirMode = (await fs.stat(path.dirname(p))).mode & 0o777;
    assert.equal(dirMode, 0o700);
    assert.equal((await fs.stat(p)).mode & 0o777, 0o600);
    await assert.rejects(fs.access(backupPathFor(p)), { code: 'ENOENT' });
    const left = (await fs.readdir(path.dirname(p))).filter((f) => f.includes('colo-tmp'));
    assert.deepEqual(left, [], 'no temp file left behind');
    assert.deepEqual(await readState(p), written);
  });

  test('every write increments the serial and keeps the previous file as .backup', async () => {
    const p = freshPath();
    let s = await writeState(p, sampleState());
    const firstText = await fs.readFile(p, 'utf8');
    s = await writeState(
      p,
      updateVm(s, 'web', (vm) => withStatus(vm!, 'protected')),
    );
    assert.equal(s.serial, 2);
    assert.equal(await fs.readFile(backupPathFor(p), 'utf8'), firstText);
    s = await writeState(p, s);
    assert.equal(s.serial, 3);
    const onDisk = await readState(p);
    assert.equal(onDisk?.serial, 3);
    assert.equal(onDisk?.vms['web']?.status, 'protected');
    const backup = JSON.parse(await fs.readFile(backupPathFor(p), 'utf8')) as ColoState;
    assert.equal(backup.serial, 2);
    assert.equal(backup.lineage, s.lineage);
    const entries = (await fs.readdir(path.dirname(p))).sort();
    assert.deepEqual(entries, ['state.json', 'state.json.backup']);
  });

  test('the file is pretty JSON ending in a newline, with version first', async () => {
    const p = freshPath();
    await writeState(p, sampleState());
    const text = await fs.readFile(p, 'utf8');
    assert.ok(text.endsWith('}\n'));
    assert.match(text, /^\{\n {2}"version": 1,\n {2}"lineage": /);
  });

  test('a failed write leaves the previous state intact', async () => {
    const p = freshPath();
    const s = await writeState(p, sampleState());
    const before = await fs.readFile(p, 'utf8');
    const bad = { ...s, vms: { web: { ...s.vms['web']!, status: 'exploded' } } } as unknown as ColoState;
    await assert.rejects(writeState(p, bad), StateError);
    assert.equal(await fs.readFile(p, 'utf8'), before);
  });

  test('a temp file left by a crashed write is ignored by reads and replaced by the next write', async () => {
    const p = freshPath();
    const s = await writeState(p, sampleState());
    const stale = path.join(path.dirname(p), '.state.json.colo-tmp.0123456789abcdef01234567');
    await fs.writeFile(stale, '{"half": ');
    assert.equal((await readState(p))?.serial, 1);
    const next = await writeState(p, s);
    assert.equal(next.serial, 2);
    assert.equal((await readState(p))?.serial, 2);
  });

  test('refuses to overwrite a state of another lineage', async () => {
    const p = freshPath();
    await writeState(p, sampleState());
    await assert.rejects(writeState(p, newState('0.1.0')), (err: unknown) => {
      assert.ok(err instanceof StateError);
      assert.equal(err.file, p);
      assert.match(err.message, /lineage/);
      return true;
    });
    const forced = await writeState(p, newState('0.1.0'), { force: true });
    assert.equal((await readState(p))?.lineage, forced.lineage);
  });

  test('refuses to overwrite a state written after ours was read (higher serial on disk)', async () => {
    const p = freshPath();
    const first = await writeState(p, sampleState());
    await writeState(p, first); // someone else writes serial 2
    await assert.rejects(writeState(p, first), /changed since it was read \(serial 2 on disk, 1 in memory\)/);
  });

  test('malformed JSON -> StateError naming the file', async () => {
    const p = freshPath();
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, '{"version": 1, "lineage": ');
    await assert.rejects(readState(p), (err: unknown) => {
      assert.ok(err instanceof StateError);
      assert.equal(err.file, p);
      assert.ok(err.message.includes(p), err.message);
      assert.match(err.message, /not valid JSON/);
      return true;
    });
    // and writeState will not silently replace it
    await assert.rejects(writeState(p, sampleState()), /Refusing to overwrite/);
  });

  test('unknown or newer version -> StateError', async () => {
    const p = freshPath();
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, JSON.stringify({ ...sampleState(), version: 2 }));
    await assert.rejects(readState(p), /format version 2, written by a newer colo; this colo reads version 1/);
    await fs.writeFile(p, JSON.stringify({ serial: 1 }));
    await assert.rejects(readState(p), /format version null/);
    await fs.writeFile(p, '[1,2]');
    await assert.rejects(readState(p), /expected a JSON object/);
  });

  test('schema violations are listed with their JSON pointer', async () => {
    const p = freshPath();
    await fs.mkdir(path.dirname(p), { recursive: true });
    const s = sampleState() as unknown as { vms: { web: Record<string, unknown> }; lineage: string; extra?: number };
    s.vms.web['status'] = 'sleeping';
    delete s.vms.web['primaryHost'];
    s.lineage = 'not-a-uuid';
    s.extra = 1;
    await fs.writeFile(p, JSON.stringify(s));
    await assert.rejects(readState(p), (err: unknown) => {
      assert.ok(err instanceof StateError);
      assert.match(err.message, /is not a valid colo state/);
      assert.match(err.message, /\/vms\/web\/status: must be one of "protected", "degraded", "applying", "failed"/);
      assert.match(err.message, /\/vms\/web: missing required key "primaryHost"/);
      assert.match(err.message, /\/lineage: must match pattern/);
      assert.match(err.message, /\(top level\): unknown key "extra"/);
      return true;
    });
  });

  test('assertSameLineage', () => {
    const s = newState('x');
    assert.doesNotThrow(() => assertSameLineage(s, s.lineage, 'f.json'));
    assert.throws(
      () => assertSameLineage(s, '00000000-0000-0000-0000-000000000000', 'f.json'),
      (err: unknown) => {
        assert.ok(err instanceof StateError);
        assert.match(err.message, /f\.json has lineage .* expected 00000000-/);
        return true;
      },
    );
  });
});

describe('pure VM helpers', () => {
  test('never mutate their input', () => {
    const s = sampleState();
    const snapshot = structuredClone(s);
    const vm = s.vms['web']!;
    updateVm(s, 'web', (v) => withStatus(v!, 'failed', 'boom'));
    recordStarted(vm, 'alpha', { role: 'primary', argvHash: 'x', pid: 1, at: 'now' });
    forgetStarted(vm, 'alpha');
    recordCreated(vm, 'beta', ['/x']);
    forgetCreated(vm, 'beta');
    recordFailover(vm, { at: 't', from: 'alpha', to: 'beta', durationMs: 5 });
    removeVm(s, 'web');
    setVm(s, 'db', newVmState('a', 'b'));
    assert.deepEqual(s, snapshot);
  });

  test('recordCreated dedups, forgetCreated removes some or all', () => {
    let vm = newVmState('alpha', 'beta');
    vm = recordCreated(vm, 'beta', ['/a', '/b']);
    vm = recordCreated(vm, 'beta', ['/b', '/c']);
    assert.deepEqual(vm.created['beta'], ['/a', '/b', '/c']);
    vm = forgetCreated(vm, 'beta', ['/b']);
    assert.deepEqual(vm.created['beta'], ['/a', '/c']);
    vm = forgetCreated(vm, 'beta');
    assert.deepEqual(vm.created, {});
  });

  test('withStatus sets and clears the note', () => {
    const failed = withStatus(newVmState('a', 'b'), 'failed', 'secondary NIC disabled');
    assert.equal(failed.note, 'secondary NIC disabled');
    const ok = withStatus(failed, 'protected');
    assert.equal(ok.status, 'protected');
    assert.equal('note' in ok, false);
  });

  test('recordFailover swaps roles and marks the VM degraded', () => {
    const vm = recordFailover(withStatus(newVmState('alpha', 'beta'), 'protected'), {
      at: '2026-01-01T00:00:00.000Z',
      from: 'alpha',
      to: 'beta',
      durationMs: 812,
    });
    assert.equal(vm.primaryHost, 'beta');
    assert.equal(vm.secondaryHost, 'alpha');
    assert.equal(vm.primaryOrigin, 'promoted-secondary');
    assert.equal(vm.status, 'degraded');
    assert.equal(vm.lastFailover?.durationMs, 812);
  });

  test('removeVm and setVm', () => {
    const s = setVm(sampleState(), 'db', newVmState('beta', 'alpha'));
    assert.deepEqual(Object.keys(s.vms).sort(), ['db', 'web']);
    assert.deepEqual(Object.keys(removeVm(s, 'web').vms), ['db']);
  });
});

describe('schemas/state.schema.json', () => {
  test('is a 2020-12 schema with $id and a description on every property', async () => {
    const schema = JSON.parse(
      await fs.readFile(new URL('../../../schemas/state.schema.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(typeof schema['$id'], 'string');
    // colo compiles it without the meta-schema check (faster start-up): the check is made here.
    const meta = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    assert.equal(meta.validateSchema(schema), true, JSON.stringify(meta.errors));
    const missing: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (typeof (v as { description?: unknown }).description !== 'string') missing.push(`${where}/${k}`);
      }
      for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`);
    };
    walk(schema, '');
    assert.deepEqual(missing, []);
    // it compiles in ajv strict mode and accepts a real state
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const full = updateVm(sampleState(), 'web', (vm) =>
      recordFailover(vm!, { at: '2026-01-01T00:00:00Z', from: 'alpha', to: 'beta', durationMs: 1 }),
    );
    assert.equal(
      validate({ ...full, vms: { ...full.vms, web: { ...full.vms['web']!, note: 'n' } } }),
      true,
      JSON.stringify(validate.errors),
    );
  });
});
