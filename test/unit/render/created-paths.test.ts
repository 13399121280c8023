/**
 * The state's `created` paths become a remote `rm -f` on destroy: only images colo names, directly in
 * one of the VM's colo directories, may be removed (src/render/created-paths.ts, renderFilesDelete).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFilesDelete, secondaryImageFiles } from '../../../src/render/index.ts';
import { labSpec, onlyVm } from './spec-fixtures.ts';

describe('files-delete refuses paths outside colo directories', () => {
  const spec = labSpec();
  const vm = onlyVm(spec);
  const wd = spec.hosts['b']!.workDir;

  test("the VM's own secondary images are removed", () => {
    const files = secondaryImageFiles(spec, vm, 'b');
    const r = renderFilesDelete(spec, 'b', vm.name, files);
    assert.deepEqual(r.body, { kind: 'exec', argv: ['rm', '-f', '--', ...files] });
  });

  const tampered: [string, string][] = [
    ['an absolute path elsewhere', '/etc/passwd'],
    ['a .. escape from the VM directory', `${wd}/${vm.name}/../../../etc/shadow`],
    ['a . component', `${wd}/./${vm.name}/disk0-base.qcow2`],
    ['a doubled slash', `${wd}//${vm.name}/disk0-base.qcow2`],
    ['a relative path', `${vm.name}/disk0-base.qcow2`],
    ["another VM's directory", `${wd}/other/disk0-base.qcow2`],
    ['the work directory itself', `${wd}/${vm.name}`],
    ['a file colo does not create there', `${wd}/${vm.name}/qemu.log`],
    ['a subdirectory of the VM directory', `${wd}/${vm.name}/x/disk0-base.qcow2`],
    ['a newline (a second path on a line)', `${wd}/${vm.name}/disk0-base.qcow2\n/etc/passwd`],
    ['an option-like name', `${wd}/${vm.name}/-rf-base.qcow2`],
  ];
  for (const [what, file] of tampered) {
    test(`refused: ${what}`, () => {
      assert.throws(
        () => renderFilesDelete(spec, 'b', vm.name, [...secondaryImageFiles(spec, vm, 'b'), file]),
        (e: Error) =>
          e.message.startsWith(`refusing to remove ${JSON.stringify(file)} on b:`) && /tampered/.test(e.message),
      );
    });
  }

  test('a secondaryDir of the spec counts as a colo directory for its VM subdirectory', () => {
    const s = labSpec();
    const v = onlyVm(s);
    v.disks[0]!.secondaryDir = '/srv/images/';
    assert.doesNotThrow(() => renderFilesDelete(s, 'b', v.name, [`/srv/images/${v.name}/disk0-hidden.qcow2`]));
    assert.throws(() => renderFilesDelete(s, 'b', v.name, ['/srv/images/disk0-hidden.qcow2']), /refusing/);
  });
});
