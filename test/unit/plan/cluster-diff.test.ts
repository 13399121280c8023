/**
 * Desired vs observed CIB (src/plan/cluster-diff.ts): a fresh cluster gets everything created; the
 * same CIB again is no change; a property or resource changed by hand is drift with the reason and an
 * update that repairs it; colo-named objects the spec no longer needs are deleted; secrets are never
 * shown; the order is properties, deletions, creations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { desiredCib } from '../../../src/render/cluster/cib-desired.ts';
import { parseObservedCib } from '../../../src/plan/cib-observed.ts';
import { cibChanges } from '../../../src/plan/cluster-diff.ts';
import type { CibModel } from '../../../src/render/cluster/cib-model.ts';
import { threeHostLayout, threeHostSpec } from '../render/cluster/cib-fixtures.ts';

const want = desiredCib(threeHostSpec, threeHostLayout);
const empty: CibModel = {
  properties: { 'dc-version': '2.1.5', 'have-watchdog': 'false' },
  resources: [],
  constraints: [],
};
const clone = <T>(x: T): T => structuredClone(x);

describe('cibChanges', () => {
  test('a fresh cluster: every property, resource and constraint created, none drift', () => {
    const ch = cibChanges(want, empty);
    assert.equal(ch.length, 6 + 4 + 4);
    assert.ok(ch.every((c) => c.action === 'create' && !c.drift));
    assert.deepEqual(
      ch.map((c) => c.cib.op),
      [...Array(6).fill('modify'), ...Array(8).fill('create')],
    );
    assert.match(ch[0]!.cib.xml, /^<cluster_property_set id="cib-bootstrap-options"><nvpair /);
    assert.equal(ch[6]!.address, 'resource.colo-fence-alpha');
    assert.equal(ch[13]!.address, 'constraint.colo-web-clone-not-on-gamma');
  });

  test('the same CIB again: no changes', () => {
    assert.deepEqual(cibChanges(want, clone(want)), []);
  });

  test('a property changed by hand is drift; the update sets it back', () => {
    const have = clone(want);
    have.properties['no-quorum-policy'] = 'ignore';
    const [c, ...rest] = cibChanges(want, have);
    assert.equal(rest.length, 0);
    assert.equal(c!.address, 'property.no-quorum-policy');
    assert.equal(c!.action, 'update');
    assert.equal(c!.drift, true);
    assert.equal(c!.reason, 'changed outside colo: ignore, the spec wants freeze');
    assert.match(c!.cib.xml, /name="no-quorum-policy" value="freeze"/);
  });

  test('a resource changed by hand is drift, replaced; secrets stay hidden', () => {
    const have = clone(want);
    const c = have.resources.find((r) => r.id === 'colo-web-clone')!;
    if (c.kind === 'clone') {
      c.meta['target-role'] = 'Started';
      c.primitive.ops = c.primitive.ops.filter((o) => o.name !== 'notify');
    }
    const b = have.resources.find((r) => r.id === 'colo-fence-beta')!;
    if (b.kind === 'primitive') b.params['password'] = 'old-secret';
    const ch = cibChanges(want, have);
    assert.deepEqual(
      ch.map((x) => [x.address, x.action, x.cib.op]),
      [
        ['resource.colo-fence-beta', 'update', 'replace'],
        ['resource.colo-web-clone', 'update', 'replace'],
      ],
    );
    assert.equal(ch[0]!.reason, 'changed outside colo: param password: (hidden) -> (hidden)');
    assert.ok(!JSON.stringify(ch.map((x) => x.reason)).includes('secret'));
    assert.equal(
      ch[1]!.reason,
      'changed outside colo: meta target-role: Started -> Stopped; primitive op notify@0s missing',
    );
  });

  test('colo-named objects the spec does not need are deleted, constraints first', () => {
    const have = clone(want);
    have.resources.push({
      kind: 'clone',
      id: 'colo-old-clone',
      meta: {},
      primitive: { ...clone(want.resources[3]!), id: 'colo-old' } as never,
    });
    have.constraints.push({
      id: 'colo-old-clone-not-on-gamma',
      rsc: 'colo-old-clone',
      node: 'gamma',
      score: '-INFINITY',
    });
    const ch = cibChanges(want, have);
    assert.deepEqual(
      ch.map((x) => [x.address, x.action, x.cib.xml]),
      [
        ['constraint.colo-old-clone-not-on-gamma', 'delete', '<rsc_location id="colo-old-clone-not-on-gamma"/>'],
        ['resource.colo-old-clone', 'delete', '<clone id="colo-old-clone"/>'],
      ],
    );
  });

  test("cibadmin's output with dc-deadtime and a constraint changed by hand", () => {
    const have = parseObservedCib(readFileSync('test/fixtures/cluster/cib-three-hosts.xml', 'utf8'));
    const ch = cibChanges(want, have);
    assert.deepEqual(
      ch.map((x) => [x.address, x.action, x.drift]),
      [
        ['property.dc-deadtime', 'update', true],
        ['resource.colo-web-clone', 'update', true],
        ['constraint.colo-fence-alpha-not-on-alpha', 'update', true],
      ],
    );
    assert.equal(ch[2]!.before, 'colo-fence-alpha on alpha score -100');
  });
});
