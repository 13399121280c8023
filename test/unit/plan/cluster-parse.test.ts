/**
 * The pure parsers of what cluster hosts print: the small XML parser (src/plan/xml-tree.ts), crm_mon's
 * XML (cluster-status.ts; the fixture has the shape crm_mon 2.1.5 prints, checked against its output),
 * dpkg-query's output -> missing packages and the refusal with the install command (cluster-packages.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseXml, XmlError, descendants } from '../../../src/plan/xml-tree.ts';
import { parseClusterStatus, promotedNode } from '../../../src/plan/cluster-status.ts';
import { missingPackages, packagesRefusal, requiredClusterPackages } from '../../../src/plan/cluster-packages.ts';
import type { ClusterSettings } from '../../../src/spec/types.ts';

describe('parseXml', () => {
  test('elements, attributes in both quotes, entities, comments, PIs and text', () => {
    const x = parseXml(
      `<?xml version="1.0"?>\n<!-- c --><a x="1&amp;2" y='&quot;&#65;&#x42;'><b/><c>t &lt; u</c><!DOCTYPE no></a>`,
    );
    assert.equal(x.name, 'a');
    assert.deepEqual(x.attrs, { x: '1&2', y: '"AB' });
    assert.deepEqual(
      x.children.map((c) => c.name),
      ['b', 'c'],
    );
    assert.equal(x.children[1]!.text, 't < u');
    assert.equal(descendants(x, 'b').length, 1);
  });

  test('malformed input is refused', () => {
    for (const bad of ['', '<a>', '<a></b>', '<a/><b/>', 'x<a/>', '<a x=1/>', '<a>&nope;</a>', '<!-- x']) {
      assert.throws(() => parseXml(bad), XmlError, bad);
    }
  });
});

describe('parseClusterStatus', () => {
  const s = parseClusterStatus(readFileSync('test/fixtures/cluster/crm-mon-promoted.xml', 'utf8'));

  test('DC, quorum and nodes', () => {
    assert.equal(s.dc, 'alpha');
    assert.equal(s.quorate, true);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.online, n.dc, n.unclean]),
      [
        ['alpha', true, true, false],
        ['beta', false, false, true],
      ],
    );
  });

  test('resources per node and the promoted side of a clone', () => {
    assert.equal(promotedNode(s, 'colo-web-clone'), 'alpha');
    assert.equal(promotedNode(s, 'colo-db-clone'), undefined);
    assert.deepEqual(
      s.resources.map((r) => `${r.clone ?? ''}/${r.id}:${r.role}@${r.node ?? '-'}`),
      ['/colo-fence-beta:Started@alpha', 'colo-web-clone/colo-web:Promoted@alpha', 'colo-web-clone/colo-web:Stopped@-'],
    );
  });

  test('failed actions', () => {
    assert.deepEqual(s.failedActions, [
      {
        opKey: 'colo-web_monitor_2000',
        node: 'beta',
        exitReason: 'QEMU "web" gone',
        exitStatus: 'not running',
        lastRcChange: '2026-12-04 11:30:00 +00:00',
      },
    ]);
  });

  test('no DC, not quorate; not crm_mon XML is refused', () => {
    const none = parseClusterStatus(
      '<pacemaker-result><summary><current_dc present="false"/></summary><nodes/></pacemaker-result>',
    );
    assert.equal(none.dc, undefined);
    assert.equal(none.quorate, false);
    assert.throws(() => parseClusterStatus('<cib/>'), XmlError);
  });
});

describe('cluster packages', () => {
  const c = { hosts: { a: { fencing: { kind: 'fence-command' } }, b: { fencing: { kind: 'agent' } } } };
  test('what a host needs: fence-agents only for an agent, qdevice only with one', () => {
    assert.deepEqual(requiredClusterPackages(c as unknown as ClusterSettings, 'a'), [
      'corosync',
      'pacemaker',
      'pacemaker-cli-utils',
    ]);
    assert.ok(requiredClusterPackages(c as unknown as ClusterSettings, 'b').includes('fence-agents'));
    const q = { ...c, qdevice: { host: 'q', address: '1', algorithm: 'ffsplit' } } as unknown as ClusterSettings;
    assert.ok(requiredClusterPackages(q, 'a').includes('corosync-qdevice'));
  });

  test('dpkg-query output -> missing, and the refusal names them with the install command', () => {
    const out = 'corosync ii \npacemaker rc \npacemaker-cli-utils:amd64 ii \n';
    const missing = missingPackages(['corosync', 'pacemaker', 'pacemaker-cli-utils'], out);
    assert.deepEqual(missing, ['pacemaker']);
    assert.equal(
      packagesRefusal('alpha', missing),
      'host alpha lacks the cluster package pacemaker: install with: ' +
        'apt-get install -y --no-install-recommends pacemaker',
    );
    assert.equal(packagesRefusal('alpha', []), undefined);
    assert.deepEqual(missingPackages(['corosync'], ''), ['corosync']);
  });
});
