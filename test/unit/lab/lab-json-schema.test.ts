/**
 * schemas/lab.schema.json documents D/lab.json: it compiles in ajv strict mode, describes every
 * property, and accepts the lab.json the netns lab writes (built by the same functions, starting and
 * up) and the loopback lab's; it rejects addresses outside 198.18.0.0/15 and an "up" lab without hosts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startingInfo, upInfo } from '../../../src/lab/netns/netns-lab-info.ts';
import { buildTopology } from '../../../src/lab/netns/topology.ts';
import type { SshLab } from '../../../src/lab/sshd.ts';

type Node = Record<string, unknown>;
const schema = JSON.parse(readFileSync(new URL('../../../schemas/lab.schema.json', import.meta.url), 'utf8')) as Node;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

function assertValid(doc: unknown, what: string): void {
  assert.equal(validate(doc), true, `${what}: ${JSON.stringify(validate.errors, null, 2)}`);
}

const t = buildTopology('3c4d5e', 5, '/tmp/lab', 2);
const ssh: SshLab = {
  hosts: (['alpha', 'beta'] as const).map((name) => ({
    name,
    address: t.addresses.mgmt.hosts[name],
    port: 22,
    hostKeyPublic: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey',
    pidFile: `/tmp/lab/ssh/${name}/sshd.pid`,
    logFile: `/tmp/lab/ssh/${name}/sshd.log`,
    configFile: `/tmp/lab/ssh/${name}/sshd_config`,
    netns: t.names.ns.hosts[name],
  })),
  clientKey: '/tmp/lab/ssh/client_ed25519',
  knownHosts: '/tmp/lab/ssh/known_hosts',
  user: 'root',
  stop: async () => undefined,
};
const json = (v: unknown): Node => JSON.parse(JSON.stringify(v)) as Node;
const starting = json(startingInfo('/tmp/lab', t, 5));
const fence = (h: string): string[] => [
  '/usr/bin/node',
  '/colo/bin/colo.js',
  'lab',
  'kill-host',
  h,
  '--dir',
  '/tmp/lab',
];
const up = json(
  upInfo(startingInfo('/tmp/lab', t, 5), t, ssh, '/tmp/lab/colo.yaml', { vms: 2, qemuBinary: '/q/qemu', fence }),
);

describe('schemas/lab.schema.json', () => {
  test('2020-12, $id, a description on every property', () => {
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema['$id'], 'https://colo.dev/schemas/lab.schema.json');
    let seen = 0;
    const walk = (n: unknown, at: string): void => {
      if (!n || typeof n !== 'object') return;
      for (const key of ['properties', '$defs'])
        for (const [k, child] of Object.entries(((n as Node)[key] as Node | undefined) ?? {})) {
          seen++;
          assert.equal(typeof (child as Node)['description'], 'string', `${at}/${key}/${k} has no description`);
          walk(child, `${at}/${key}/${k}`);
        }
      if (typeof (n as Node)['items'] === 'object') walk((n as Node)['items'], `${at}/items`);
    };
    walk(schema, '#');
    assert.ok(seen > 40, `only ${seen} properties`);
  });

  test('accepts the netns lab.json, starting and up', () => {
    assertValid(starting, 'starting');
    assertValid(up, 'up');
    assert.equal((up['hosts'] as Node[]).length, 2);
    const guests = up['guests'] as Node[];
    assert.deepEqual(
      guests.map((g) => [g['vm'], g['lanAddress'], g['httpPort'], g['streamPort']]),
      [
        ['web', t.addresses.lan.guests[0], 80, 7000],
        ['web2', t.addresses.lan.guests[1], 80, 7000],
      ],
    );
    assert.deepEqual(
      (up['hosts'] as Node[]).map((h) => (h['fenceCommand'] as string[])[4]),
      ['alpha', 'beta'],
    );
  });

  test("accepts the loopback lab's lab.json", () => {
    assertValid(
      {
        dir: '/tmp/l',
        specFile: '/tmp/l/colo.yaml',
        hosts: [{ name: 'alpha', address: '127.0.0.11', port: 2222, pidFile: '/p', logFile: '/l', configFile: '/c' }],
        vms: [{ name: 'web', servicePort: 30000 }],
        qemuBinary: '/q',
      },
      'loopback',
    );
  });

  test('rejects an address outside 198.18.0.0/15, a bad suffix, an up lab without hosts', () => {
    const bad = json(up);
    ((bad['hosts'] as Node[])[0]!['ssh'] as Node)['address'] = '10.0.0.1';
    assert.equal(validate(bad), false);
    assert.equal(validate({ ...starting, suffix: 'XYZ' }), false);
    const noHosts = { ...up };
    delete noHosts['hosts'];
    assert.equal(validate(noHosts), false);
    const badMac = json(up);
    (((badMac['guests'] as Node[])[0]!['nics'] as Node[])[0] as Node)['mac'] = '52:54:00:0C:BF:6F';
    assert.equal(validate(badMac), false, 'MACs are lower-case');
  });
});
