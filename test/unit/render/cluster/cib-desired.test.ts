/**
 * The desired CIB (src/render/cluster/cib-desired.ts, cib-xml.ts): properties, one promotable clone per
 * pair held Stopped until the agent exists, fence devices off their own host, pair pinning in a
 * three-host cluster, escaping; and the XML round-trips through the observed-CIB parser. That the XML
 * is what real cibadmin accepts: test/fixtures/cluster/cib-three-hosts.xml is cibadmin's own `-Q`
 * after these objects were created with it (CIB_file), and cluster-apply.test.ts runs it live.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { clonesTargetRole, desiredCib } from '../../../../src/render/cluster/cib-desired.ts';
import { resourceXml, locationXml, propertiesXml, xmlEscape } from '../../../../src/render/cluster/cib-xml.ts';
import { parseObservedCib } from '../../../../src/plan/cib-observed.ts';
import { threeHostLayout, threeHostSpec } from './cib-fixtures.ts';

describe('desiredCib', () => {
  const m = desiredCib(threeHostSpec, threeHostLayout);

  test('properties: fencing on, freeze without quorum, the fencing delay, a short dc-deadtime', () => {
    assert.deepEqual(m.properties, {
      'cluster-recheck-interval': '1min',
      'dc-deadtime': '2s',
      'no-quorum-policy': 'freeze',
      'priority-fencing-delay': '1s',
      'stonith-enabled': 'true',
      'stonith-timeout': '40s',
    });
  });

  test('one promotable clone per pair of ocf:colo:pair, held at the agent switch', () => {
    const c = m.resources.find((r) => r.id === 'colo-web-clone');
    assert.ok(c && c.kind === 'clone');
    assert.equal(clonesTargetRole(), 'Stopped');
    assert.equal(c.meta['target-role'], clonesTargetRole());
    assert.deepEqual(
      [c.meta['promotable'], c.meta['promoted-max'], c.meta['clone-max'], c.meta['notify']],
      ['true', '1', '2', 'true'],
    );
    assert.deepEqual(c.primitive.params, { config: '/etc/colo/colo.yaml', vm: 'web' });
    assert.equal(`${c.primitive.class}:${c.primitive.provider}:${c.primitive.type}`, 'ocf:colo:pair');
  });

  test('fence devices: fence_colo for a fence.command, the user agent with its params, never on their own host', () => {
    const a = m.resources.find((r) => r.id === 'colo-fence-alpha');
    const b = m.resources.find((r) => r.id === 'colo-fence-beta');
    assert.ok(a?.kind === 'primitive' && b?.kind === 'primitive');
    assert.equal(a.type, 'fence_colo');
    assert.deepEqual(a.params, { pcmk_host_list: 'alpha' });
    assert.equal(b.type, 'fence_ipmilan');
    assert.deepEqual(b.params, { ip: '10.0.0.1', password: 'a"<b', pcmk_host_list: 'beta' });
    assert.deepEqual(
      m.constraints.map((c) => `${c.rsc}@${c.node}=${c.score}`),
      [
        'colo-fence-alpha@alpha=-INFINITY',
        'colo-fence-beta@beta=-INFINITY',
        'colo-fence-gamma@gamma=-INFINITY',
        'colo-web-clone@gamma=-INFINITY',
      ],
    );
  });

  test('two hosts: no pinning needed', () => {
    const two = desiredCib(threeHostSpec, { ...threeHostLayout, hosts: ['alpha', 'beta'] });
    assert.equal(two.constraints.filter((c) => c.rsc === 'colo-web-clone').length, 0);
  });

  test('an unsafe id is refused, never written', () => {
    assert.throws(
      () =>
        desiredCib(threeHostSpec, { ...threeHostLayout, pairs: [{ vm: 'a"b', primary: 'alpha', secondary: 'beta' }] }),
      /not a safe CIB id/,
    );
  });

  test('XML escapes values and parses back to the same model', () => {
    assert.equal(xmlEscape(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    const xml =
      '<cib><configuration><crm_config>' +
      propertiesXml(m.properties) +
      '</crm_config><resources>' +
      m.resources.map(resourceXml).join('') +
      '<primitive id="mine" class="ocf" provider="heartbeat" type="IPaddr2"/></resources><constraints>' +
      m.constraints.map(locationXml).join('') +
      '<rsc_location id="cli-ban-x" rsc="x" node="a" score="-INFINITY"/></constraints></configuration></cib>';
    assert.match(xml, /value="a&quot;&lt;b"/);
    assert.deepEqual(parseObservedCib(xml), m);
  });

  test("cibadmin's own output of these objects parses to the desired model (but one changed by hand)", () => {
    const have = parseObservedCib(readFileSync('test/fixtures/cluster/cib-three-hosts.xml', 'utf8'));
    assert.deepEqual(have.properties, { ...m.properties, 'dc-deadtime': '3s' });
    assert.deepEqual(
      have.resources.map((r) => r.id),
      m.resources.map((r) => r.id),
    );
    assert.deepEqual(have.resources.slice(0, 3), m.resources.slice(0, 3));
  });
});
