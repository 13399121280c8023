/** src/plan/listener-warnings.ts: QEMU's plain-TCP listeners on the SSH (management) address are warned about. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listenerWarnings } from '../../../src/plan/listener-warnings.ts';
import { loadYaml } from './plan-fixtures.ts';

const spec = (alpha: string, beta: string) =>
  loadYaml(
    [
      'apiVersion: colo/v1',
      'hosts:',
      `  alpha: { ${alpha} }`,
      `  beta: { ${beta} }`,
      '  spare: { ssh: { address: 198.18.0.99 } }',
      'vms:',
      '  web: { primary: alpha, secondary: beta, disks: [{ image: /img/web.qcow2 }] }',
      '',
    ].join('\n'),
  );

describe('listenerWarnings', () => {
  test('no replicationAddress, or the SSH address as one: warned, naming the host and address', () => {
    const w = listenerWarnings(
      spec('ssh: { address: 198.18.0.11 }', 'ssh: { address: 198.18.0.12 }, replicationAddress: 198.18.0.12'),
    );
    assert.equal(w.length, 2);
    assert.match(
      w[0]!,
      /^host alpha: QEMU's NBD, migration and COLO proxy listeners .* bind to its SSH address 198\.18\.0\.11;/,
    );
    assert.match(w[1]!, /^host beta: .*198\.18\.0\.12; set replicationAddress/);
  });

  test('a replication address of its own, loopback (one machine), or a host no VM uses: no warning', () => {
    assert.deepEqual(
      listenerWarnings(
        spec(
          'ssh: { address: 198.18.0.11 }, replicationAddress: 198.18.1.11',
          'ssh: { address: 198.18.0.12 }, replicationAddress: 198.18.1.12',
        ),
      ),
      [],
    );
    assert.deepEqual(
      listenerWarnings(spec('ssh: { address: 127.0.0.11 }', 'ssh: { address: 127.0.0.12, port: 2222 }')),
      [],
    );
  });
});
