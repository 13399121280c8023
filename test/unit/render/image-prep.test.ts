import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderImagePrep, renderWorkDirPrep } from '../../../src/render/index.ts';
import { fleetSpec, labSpec, onlyVm } from './spec-fixtures.ts';

describe('renderImagePrep / renderWorkDirPrep', () => {
  test('the lab secondary: work dir 0700 (also when it existed), then base/hidden/active qcow2 0600', () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    const d = '/tmp/colo-lab/b/lab';
    assert.deepEqual(renderImagePrep(spec, vm, 'b', { disk0: 33554432 }), [
      ['mkdir', '-p', '-m', '0700', d],
      ['chmod', '0700', d],
      ['/usr/bin/qemu-img', 'create', '-q', '-f', 'qcow2', `${d}/disk0-base.qcow2`, '33554432'],
      ['chmod', '0600', `${d}/disk0-base.qcow2`],
      ['/usr/bin/qemu-img', 'create', '-q', '-f', 'qcow2', `${d}/disk0-hidden.qcow2`, '33554432'],
      ['chmod', '0600', `${d}/disk0-hidden.qcow2`],
      ['/usr/bin/qemu-img', 'create', '-q', '-f', 'qcow2', `${d}/disk0-active.qcow2`, '33554432'],
      ['chmod', '0600', `${d}/disk0-active.qcow2`],
    ]);
  });

  test("the spec's sizeBytes is the fallback; the measured size wins", () => {
    const spec = labSpec();
    const vm = onlyVm(spec);
    assert.equal(renderImagePrep(spec, vm, 'b')[2]?.at(-1), String(64 * 1024 * 1024));
    assert.equal(renderImagePrep(spec, vm, 'b', { disk0: 1024 })[2]?.at(-1), '1024');
  });

  test('unknown or bad size is an error naming the disk', () => {
    const spec = fleetSpec();
    const vm = onlyVm(spec);
    assert.throws(() => renderImagePrep(spec, vm, 'h2'), /disk root: virtual size unknown/);
    assert.throws(() => renderImagePrep(spec, vm, 'h2', { root: 0 }), /disk root/);
    assert.throws(() => renderImagePrep(spec, vm, 'h2', { root: 1.5 }), /disk root/);
  });

  test('secondaryDir gets its own mkdir once; images of every disk; host qemu-img binary', () => {
    const spec = fleetSpec();
    spec.hosts['h2']!.qemu.img = '/opt/qemu/bin/qemu-img';
    const cmds = renderImagePrep(spec, onlyVm(spec), 'h2', { root: 2147483648 });
    assert.deepEqual(
      cmds.filter((c) => c[0] === 'mkdir'),
      [
        ['mkdir', '-p', '-m', '0700', '/var/lib/colo/db'],
        ['mkdir', '-p', '-m', '0700', '/dev/shm/colo/db'],
      ],
    );
    const creates = cmds.filter((c) => c[0] === '/opt/qemu/bin/qemu-img');
    assert.equal(creates.length, 6);
    assert.deepEqual(
      creates.map((c) => c.at(-1)),
      ['2147483648', '2147483648', '2147483648', '10737418240', '10737418240', '10737418240'],
    );
    assert.ok(creates.every((c) => c.slice(1, 5).join(' ') === 'create -q -f qcow2'));
  });

  test('work dir prep for either host', () => {
    const spec = labSpec();
    assert.deepEqual(renderWorkDirPrep(spec, onlyVm(spec), 'a'), [
      ['mkdir', '-p', '-m', '0700', '/tmp/colo-lab/a/lab'],
      ['chmod', '0700', '/tmp/colo-lab/a/lab'],
    ]);
  });
});
