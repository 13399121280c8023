/**
 * Golden files pinning the text of `colo render` for every example under examples/: every recipe
 * apply, failover (both directions), leave-COLO, re-protection and destroy run, as the CLI prints
 * them (the same function). `npm run golden:update` rewrites them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expectGolden } from '../../helpers/golden.ts';
import { renderView } from '../../../src/ui/views/render/index.ts';
import { EXAMPLES_DIR, loadExample } from './spec-fixtures.ts';

const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const QEMU_72 = { major: 7, minor: 2, micro: 0 };

describe('colo render goldens for examples/*.yaml', () => {
  test('there are examples to pin', () => {
    assert.ok(examples.length >= 3, `expected at least 3 examples in ${EXAMPLES_DIR}, found ${examples.join(', ')}`);
  });

  for (const file of examples) {
    test(`${file} (the defaults: QEMU 7.2.0, no KVM)`, async () => {
      const spec = await loadExample(file);
      assert.ok(spec.vms.length > 0, `${file} has no vms`);
      const actual = renderView(spec, spec.vms, { version: QEMU_72, kvm: false, json: false });
      await expectGolden(`render/${path.basename(file, '.yaml')}.txt`, actual);
    });
  }

  test('pair.yaml with --qemu-version 9.2.0 --kvm (reconnect-ms, x-colo on the secondary, accel kvm)', async () => {
    const spec = await loadExample('pair.yaml');
    const actual = renderView(spec, spec.vms, { version: { major: 9, minor: 2, micro: 0 }, kvm: true, json: false });
    assert.match(actual, /reconnect-ms=1000/);
    await expectGolden('render/pair-qemu-9.2-kvm.txt', actual);
  });

  test('--json is the recipe objects themselves: plain JSON that parses back to the same data', async () => {
    const spec = await loadExample('loopback-lab.yaml');
    const json = renderView(spec, spec.vms, { version: QEMU_72, kvm: false, json: true });
    const parsed = JSON.parse(json) as unknown[];
    assert.equal(parsed.length, spec.vms.length);
    assert.equal(`${JSON.stringify(parsed, null, 2)}\n`, json);
  });
});
