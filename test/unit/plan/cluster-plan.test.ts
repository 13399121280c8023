/**
 * One cluster's plan (src/plan/cluster-plan.ts) from the observe script's output (cluster-observed.ts,
 * parsed from the text the script prints): a fresh pair of hosts gets files, one authkey and a start,
 * and the CIB a fresh cluster needs (not yet observed); a formed cluster with everything in place has
 * no changes; a missing package or an unreachable host is a refusal naming what to do; the human
 * plan shows + ~ - with reasons and never a hash or the key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseClusterObserve } from '../../../src/plan/cluster-observed.ts';
import { planCluster, type DesiredFile } from '../../../src/plan/cluster-plan.ts';
import { desiredCib } from '../../../src/render/cluster/cib-desired.ts';
import { locationXml, propertiesXml, resourceXml } from '../../../src/render/cluster/cib-xml.ts';
import { clusterChangeLines } from '../../../src/ui/views/plan/cluster-human.ts';
import { plainStyle } from '../../../src/ui/style.ts';
import { threeHostSpec } from '../render/cluster/cib-fixtures.ts';

const layout = {
  name: 'c-alpha',
  hosts: ['alpha', 'beta'],
  pairs: [{ vm: 'web', primary: 'alpha', secondary: 'beta' }],
};
const spec = structuredClone(threeHostSpec);
const files: Record<string, DesiredFile[]> = {
  alpha: [{ path: '/etc/corosync/corosync.conf', mode: 0o644, sha256: 'c0', what: 'corosync.conf' }],
  beta: [{ path: '/etc/corosync/corosync.conf', mode: 0o644, sha256: 'c0', what: 'corosync.conf' }],
};
const DPKG = 'corosync ii \npacemaker ii \npacemaker-cli-utils ii \nfence-agents ii ';
const KEYHASH = 'f'.repeat(64);
const KEY_REASON =
  "the hosts' authkeys are missing, differ or are not 0400: a new one is generated for all; " +
  'corosync and pacemaker restart with it';

function output(o: { dpkg?: string; files: string[]; services: string; cib?: string; mon?: string }): string {
  return [
    '@@colo packages',
    o.dpkg ?? DPKG,
    '@@colo files',
    ...o.files,
    '@@colo services',
    o.services,
    ...(o.cib !== undefined ? ['@@colo cib', o.cib, '@@colo crm_mon', o.mon ?? ''] : []),
    '@@colo end',
    '',
  ].join('\n');
}

const want = desiredCib(spec, layout);
const fullCib =
  '<cib><configuration><crm_config>' +
  propertiesXml({ ...want.properties, 'dc-version': '2.1.5' }) +
  '</crm_config><resources>' +
  want.resources.map(resourceXml).join('') +
  '</resources><constraints>' +
  want.constraints.map(locationXml).join('') +
  '</constraints></configuration></cib>';

describe('planCluster', () => {
  test('fresh hosts: files, one authkey, start both, the fresh CIB', () => {
    const obs = ['alpha', 'beta'].map((h) =>
      parseClusterObserve(
        h,
        output({
          files: ['- - /etc/corosync/authkey', '- - /etc/corosync/corosync.conf'],
          services: 'corosync=stopped pid=-\npacemakerd=stopped pid=-',
        }),
      ),
    );
    const p = planCluster(spec, layout, obs, files);
    assert.deepEqual(p.refusals, []);
    assert.equal(p.cibObserved, false);
    assert.deepEqual(
      p.hostChanges.map((c) => `${c.host} ${c.kind} ${c.action}`),
      [
        'alpha file create',
        'beta file create',
        'alpha authkey create',
        'beta authkey create',
        'alpha services create',
        'beta services create',
      ],
    );
    assert.equal(p.cib.length, want.resources.length + want.constraints.length + Object.keys(want.properties).length);
    const lines = clusterChangeLines({ clusters: [p] }, plainStyle).join('\n');
    assert.match(lines, / {2}\+ alpha: \/etc\/corosync\/authkey\n {6}# no authkey yet: one is generated \(0400/);
    assert.match(lines, /\+ cib resource\.colo-web-clone/);
    assert.match(lines, /Pacemaker does not run yet/);
    assert.match(lines, /Cluster: \d+ to add, 0 to change, 0 to destroy\./);
  });

  test('a formed cluster with everything in place: no changes; a hand-changed property is drift', () => {
    const obs = (cib: string) =>
      ['alpha', 'beta'].map((h) =>
        parseClusterObserve(
          h,
          output({
            files: [`400 ${KEYHASH} /etc/corosync/authkey`, '644 c0 /etc/corosync/corosync.conf'],
            services: 'corosync=running pid=10\npacemakerd=running pid=11',
            cib,
          }),
        ),
      );
    const p = planCluster(spec, layout, obs(fullCib), files);
    assert.equal(p.cibObserved, true);
    assert.deepEqual([p.refusals, p.hostChanges, p.cib], [[], [], []]);
    const drifted = planCluster(spec, layout, obs(fullCib.replace('value="freeze"', 'value="ignore"')), files);
    assert.deepEqual(
      drifted.cib.map((c) => [c.address, c.action, c.drift]),
      [['property.no-quorum-policy', 'update', true]],
    );
    const lines = clusterChangeLines({ clusters: [drifted] }, plainStyle).join('\n');
    assert.match(lines, /~ cib property\.no-quorum-policy = ignore -> freeze\n {6}# changed outside colo/);
    assert.ok(!lines.includes(KEYHASH));
  });

  test('authkeys that differ, a file with the wrong mode', () => {
    const obs = ['alpha', 'beta'].map((h, i) =>
      parseClusterObserve(
        h,
        output({
          files: [`400 ${i}${KEYHASH.slice(1)} /etc/corosync/authkey`, '600 c0 /etc/corosync/corosync.conf'],
          services: 'corosync=running pid=1\npacemakerd=running pid=2',
        }),
      ),
    );
    const p = planCluster(spec, layout, obs, files);
    assert.deepEqual(
      p.hostChanges.map((c) => `${c.host} ${c.kind} ${c.action}: ${c.reason}`),
      [
        'alpha file update: corosync.conf: mode 600, want 644',
        'beta file update: corosync.conf: mode 600, want 644',
        `alpha authkey update: ${KEY_REASON}`,
        `beta authkey update: ${KEY_REASON}`,
      ],
    );
  });

  test('a missing package and an unreachable host are refusals that say what to do', () => {
    const a = parseClusterObserve('alpha', output({ dpkg: 'corosync ii ', files: [], services: '' }));
    const b = parseClusterObserve('beta', 'ssh: connect refused');
    const p = planCluster(spec, layout, [a, b], files);
    assert.deepEqual(p.refusals, [
      'host alpha lacks the cluster packages pacemaker, pacemaker-cli-utils: install with: apt-get install -y ' +
        '--no-install-recommends pacemaker pacemaker-cli-utils',
      'host beta: cannot read its cluster state: the observe script did not finish',
    ]);
    assert.ok(p.hostChanges.every((c) => c.host === 'alpha'));
  });
});
