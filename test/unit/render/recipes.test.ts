/**
 * The recipe model: plain JSON data; predicates and templates read facts by path; a remote
 * script's argv is what the Transport receives, values quoted or passed as positional parameters.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import {
  batchScript,
  dialectForVersion,
  fill,
  holds,
  initialPlacement,
  renderImagePrep,
  renderQemuStop,
  renderSecondaryImagePrep,
  renderVmRecipes,
  scriptArgv,
  STOP_SCRIPT,
  where,
  type Predicate,
} from '../../../src/render/index.ts';
import { EXAMPLES_DIR, labSpec, loadExample, onlyVm } from './spec-fixtures.ts';

const qemu = () => ({ dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }), kvmAvailable: false });

describe('recipes are plain JSON', () => {
  for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'))) {
    test(`every recipe of ${file} survives JSON unchanged (no functions, no undefined, no classes)`, async () => {
      const spec = await loadExample(file);
      for (const vm of spec.vms) {
        const r = renderVmRecipes(spec, vm, { qemu });
        assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
      }
    });
  }
});

describe('predicates and templates', () => {
  const facts = {
    jobs: [
      { device: 'resync-a', status: 'ready', offset: 10, len: 10 },
      { device: 'resync-b', status: 'running', offset: 4, len: 10 },
    ],
    virtio: { status: 15, disabled: false },
    old: { status: { statuses: ['VIRTIO_CONFIG_S_ACKNOWLEDGE', 'VIRTIO_CONFIG_S_DRIVER_OK: driver is ready'] } },
  };
  const ctx = { facts, succeeded: { cancel: true, other: false } };
  const job = (id: string, ...path: string[]) => ({ fact: 'jobs', path: [where('device', id), ...path] });

  test('paths into arrays by a key, equality, presence, bits, string prefixes, outcomes', () => {
    const cases: [Predicate, boolean][] = [
      [{ at: job('resync-a', 'status'), equals: 'ready' }, true],
      [{ at: job('resync-b', 'status'), oneOf: ['ready', 'failed'] }, false],
      [{ at: job('resync-a', 'offset'), sameAs: job('resync-a', 'len') }, true],
      [{ at: job('resync-b', 'offset'), sameAs: job('resync-b', 'len') }, false],
      [{ at: job('resync-c'), present: true }, false],
      [{ at: job('resync-c', 'status', 'deeper'), present: false }, true],
      [{ at: { fact: 'virtio', path: ['status'] }, bitsSet: 4 }, true],
      [{ at: { fact: 'virtio', path: ['status'] }, bitsSet: 16 }, false],
      [{ at: { fact: 'old', path: ['status', 'statuses'] }, someStartsWith: 'VIRTIO_CONFIG_S_DRIVER_OK' }, true],
      [{ at: { fact: 'missing' }, type: 'number' }, false],
      [{ at: job('resync-a', 'len'), type: 'number' }, true],
      [{ succeeded: 'cancel' }, true],
      [{ succeeded: 'other' }, false],
      [{ not: { any: [{ succeeded: 'other' }, { succeeded: 'never' }] } }, true],
      [{ all: [{ succeeded: 'cancel' }, { at: job('resync-a'), present: true }] }, true],
    ];
    for (const [p, expected] of cases) assert.equal(holds(p, ctx), expected, JSON.stringify(p));
  });

  test('templates fill in values, differences and optional parts', () => {
    assert.equal(
      fill(
        [
          'resync-b ',
          { difference: [job('resync-b', 'len'), job('resync-b', 'offset')] },
          ' bytes behind, ',
          { value: job('resync-b', 'error'), absent: 'no error' },
          {
            when: { at: job('resync-b', 'status'), equals: 'running' },
            then: [' (', { value: job('resync-b', 'status') }, ')'],
          },
        ],
        ctx,
      ),
      'resync-b 6 bytes behind, no error (running)',
    );
  });
});

describe('scriptArgv', () => {
  test('the image preparation with sizes read from facts is the same shell text as with the sizes given', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const p = initialPlacement(vm);
    const facts = { blocks: [{ device: 'colo-disk0', inserted: { image: { 'virtual-size': 67108864 } } }] };
    assert.deepEqual(scriptArgv(renderSecondaryImagePrep(spec, vm, p).body, facts), [
      'sh',
      '-c',
      batchScript(renderImagePrep(spec, vm, p.secondary, { disk0: 67108864 })),
    ]);
    assert.throws(
      () => scriptArgv(renderSecondaryImagePrep(spec, vm, p).body, {}),
      /no value for the virtual size of disk disk0/,
    );
  });

  test('a fixed script gets its values as positional parameters, never in its text', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const argv = scriptArgv(renderQemuStop(spec, vm, 'a', 3).body);
    assert.deepEqual(argv.slice(0, 6), ['sh', '-c', STOP_SCRIPT, 'colo-stop', '/tmp/colo-lab/a/lab/qemu.pid', '3']);
    assert.ok(!STOP_SCRIPT.includes('/tmp/colo-lab'));
  });
});
