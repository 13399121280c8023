/** src/render/confinement.ts: QEMU's seccomp filter and the user it switches to, in every QEMU argv. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrimaryArgv, renderSecondaryArgv } from '../../../src/render/argv.ts';
import { dialectForVersion } from '../../../src/render/dialect.ts';
import { initialPlacement } from '../../../src/render/placement.ts';
import type { Spec } from '../../../src/spec/types.ts';
import { labSpec, onlyVm } from './spec-fixtures.ts';

const d72 = { dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }), kvmAvailable: false };
const d92 = { dialect: dialectForVersion({ major: 9, minor: 2, micro: 0 }), kvmAvailable: false };

const both = (spec: Spec, o = d72) => {
  const vm = onlyVm(spec);
  const p = initialPlacement(vm);
  return [renderPrimaryArgv(spec, vm, p, o), renderSecondaryArgv(spec, vm, p, o)];
};
const after = (argv: string[], opt: string) => {
  const i = argv.indexOf(opt);
  return i < 0 ? undefined : argv[i + 1];
};

describe('QEMU confinement', () => {
  test('default: -sandbox on, obsolete calls and resource control denied (what -daemonize leaves possible)', () => {
    for (const argv of both(labSpec())) {
      assert.equal(after(argv, '-sandbox'), 'on,obsolete=deny,resourcecontrol=deny');
      assert.ok(argv.indexOf('-sandbox') > argv.indexOf('-daemonize'));
    }
  });

  test('sandbox: false leaves it out', () => {
    const spec = labSpec();
    for (const h of Object.values(spec.hosts)) h.qemu.sandbox = false;
    for (const argv of both(spec)) assert.equal(argv.includes('-sandbox'), false);
  });

  test('runAs: -runas USER on 7.2, -run-with user=USER from 9.1', () => {
    const spec = labSpec();
    for (const h of Object.values(spec.hosts)) h.qemu.runAs = 'colo-qemu';
    for (const argv of both(spec)) {
      assert.equal(after(argv, '-runas'), 'colo-qemu');
      assert.equal(argv.includes('-run-with'), false);
    }
    for (const argv of both(spec, d92)) {
      assert.equal(after(argv, '-run-with'), 'user=colo-qemu');
      assert.equal(argv.includes('-runas'), false);
    }
    assert.equal(dialectForVersion({ major: 9, minor: 0, micro: 0 }).runAsOption, 'runas');
    assert.equal(dialectForVersion({ major: 9, minor: 1, micro: 0 }).runAsOption, 'run-with');
  });
});
