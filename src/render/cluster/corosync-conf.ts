/**
 * corosync.conf for one cluster of the spec (src/spec/cluster-layout.ts), as text. Pure. Every value
 * is one the spec checks accepted (names, addresses, enums, numbers); `safe` refuses anything else
 * rather than let a `{`, `}`, `:` or newline change the file's structure.
 */
import type { ClusterLayout } from '../../spec/cluster-layout.ts';
import type { ClusterSettings } from '../../spec/types.ts';

const TOKEN = /^[A-Za-z0-9_.:-]+$/;

function safe(value: string | number): string {
  const s = String(value);
  if (!TOKEN.test(s)) throw new Error(`internal: ${JSON.stringify(s)} is not a safe corosync.conf value`);
  return s;
}

export function renderCorosyncConf(layout: ClusterLayout, c: ClusterSettings): string {
  const links = c.hosts[layout.hosts[0] ?? '']?.addresses.length ?? 1;
  const lines = [
    'totem {',
    '    version: 2',
    `    cluster_name: ${safe(layout.name)}`,
    '    transport: knet',
    `    token: ${safe(c.tokenMs)}`,
    `    crypto_cipher: ${safe(c.cryptoCipher)}`,
    `    crypto_hash: ${safe(c.cryptoHash)}`,
    ...Array.from({ length: links }, (_, i) => [
      '    interface {',
      `        linknumber: ${i}`,
      `        knet_ping_interval: ${safe(c.knetPingIntervalMs)}`,
      `        knet_ping_timeout: ${safe(c.knetPingTimeoutMs)}`,
      '    }',
    ]).flat(),
    '}',
    'logging {',
    '    to_stderr: no',
    '    to_logfile: yes',
    '    logfile: /var/log/cluster/corosync.log',
    '    to_syslog: no',
    '    timestamp: hires',
    '}',
    ...quorum(layout, c),
    'nodelist {',
    ...layout.hosts.flatMap((h, i) => [
      '    node {',
      `        name: ${safe(h)}`,
      `        nodeid: ${i + 1}`,
      ...(c.hosts[h]?.addresses ?? []).map((a, l) => `        ring${l}_addr: ${safe(a)}`),
      '    }',
    ]),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function quorum(layout: ClusterLayout, c: ClusterSettings): string[] {
  if (c.qdevice) {
    return [
      'quorum {',
      '    provider: corosync_votequorum',
      '    device {',
      '        model: net',
      '        votes: 1',
      '        net {',
      `            host: ${safe(c.qdevice.address)}`,
      `            algorithm: ${safe(c.qdevice.algorithm)}`,
      '        }',
      '    }',
      '}',
    ];
  }
  const twoNode = layout.hosts.length === 2 ? ['    two_node: 1'] : [];
  return ['quorum {', '    provider: corosync_votequorum', ...twoNode, '}'];
}
