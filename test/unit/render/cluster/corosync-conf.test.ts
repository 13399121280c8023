// corosync.conf per cluster: totem with one interface block per link, two_node for two hosts,
// qdevice when configured, the nodelist in host order; unsafe values are refused, never written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCorosyncConf } from '../../../../src/render/cluster/corosync-conf.ts';
import type { ClusterSettings } from '../../../../src/spec/types.ts';

const settings: ClusterSettings = {
  name: 'colo',
  tokenMs: 300,
  knetPingIntervalMs: 100,
  knetPingTimeoutMs: 1000,
  cryptoCipher: 'aes256',
  cryptoHash: 'sha256',
  priorityFencingDelayMs: 1000,
  hosts: {
    a: { name: 'a', addresses: ['198.18.50.1'], fencing: { kind: 'fence-command' } },
    b: { name: 'b', addresses: ['198.18.50.2'], fencing: { kind: 'fence-command' } },
  },
};
const layout = { name: 'colo-a', hosts: ['a', 'b'], pairs: [{ vm: 'web', primary: 'a', secondary: 'b' }] };

describe('renderCorosyncConf', () => {
  test('two-node cluster, one link', () => {
    assert.equal(
      renderCorosyncConf(layout, settings),
      [
        'totem {',
        '    version: 2',
        '    cluster_name: colo-a',
        '    transport: knet',
        '    token: 300',
        '    crypto_cipher: aes256',
        '    crypto_hash: sha256',
        '    interface {',
        '        linknumber: 0',
        '        knet_ping_interval: 100',
        '        knet_ping_timeout: 1000',
        '    }',
        '}',
        'logging {',
        '    to_stderr: no',
        '    to_logfile: yes',
        '    logfile: /var/log/cluster/corosync.log',
        '    to_syslog: no',
        '    timestamp: hires',
        '}',
        'quorum {',
        '    provider: corosync_votequorum',
        '    two_node: 1',
        '}',
        'nodelist {',
        '    node {',
        '        name: a',
        '        nodeid: 1',
        '        ring0_addr: 198.18.50.1',
        '    }',
        '    node {',
        '        name: b',
        '        nodeid: 2',
        '        ring0_addr: 198.18.50.2',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
  });
  test('qdevice replaces two_node', () => {
    const text = renderCorosyncConf(layout, {
      ...settings,
      qdevice: { host: 'q', address: '198.18.50.3', algorithm: 'ffsplit' },
    });
    assert.ok(!text.includes('two_node'));
    assert.ok(text.includes('        net {\n            host: 198.18.50.3\n            algorithm: ffsplit\n'));
  });
  test('a value that could break the file structure is refused', () => {
    const bad = { ...settings, hosts: { ...settings.hosts, b: { ...settings.hosts['b']!, addresses: ['x }\n'] } } };
    assert.throws(() => renderCorosyncConf(layout, bad), /not a safe corosync\.conf value/);
  });
});
