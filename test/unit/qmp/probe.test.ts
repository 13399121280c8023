import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QmpClient } from '../../../src/qmp/client.ts';
import {
  dialectFromProbe,
  probeBinaryVersion,
  probeFromReplies,
  probeQemu,
  PROBE_COMMANDS,
  schemaHasReplication,
} from '../../../src/qmp/probe.ts';
import { compareVersions, dialectForVersion, TCG_COLO_FIXES_MARKER } from '../../../src/render/dialect.ts';
import { QmpError } from '../../../src/qmp/types.ts';
import { FakeQmpPeer } from './fake-qmp-peer.ts';
import type { Msg } from './fake-qmp-peer.ts';

// Shapes as Debian's QEMU 7.2.22 answers them (trimmed).
const VERSION = { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' };
const COMMANDS = [
  'query-status',
  'cont',
  'quit',
  'migrate',
  'query-colo-status',
  'x-colo-lost-heartbeat',
  'xen-set-replication',
].map((name) => ({ name }));
const CAPS = ['xbzrle', 'events', 'postcopy-ram', 'x-colo', 'multifd'].map((capability) => ({
  capability,
  state: false,
}));
const SCHEMA = [
  { name: '290', 'meta-type': 'enum', values: ['off', 'on'] },
  { name: '291', 'meta-type': 'enum', values: ['blkdebug', 'qcow2', 'raw', 'replication', 'vmdk'] },
  { name: 'query-status', 'meta-type': 'command', 'arg-type': '0', 'ret-type': '1' },
];
const QOM = ['filter-buffer', 'filter-rewriter', 'filter-redirector', 'filter-mirror', 'colo-compare', 'q35'].map(
  (name) => ({ name }),
);

const REPLIES: Record<string, unknown> = {
  'query-version': VERSION,
  'query-commands': COMMANDS,
  'query-migrate-capabilities': CAPS,
  'query-qmp-schema': SCHEMA,
  'qom-list-types': QOM,
};

async function connectedPeer(): Promise<{ peer: FakeQmpPeer; qmp: QmpClient }> {
  const peer = new FakeQmpPeer();
  const p = QmpClient.connect(peer.stream);
  peer.greet();
  return { peer, qmp: await p };
}

describe('probeQemu', () => {
  test('sends all probe queries in one pipelined batch and builds the probe', async () => {
    const { peer, qmp } = await connectedPeer();
    let inFlightAtFirstReply = 0;
    const batch: Msg[] = [];
    peer.handler = (m, pr) => {
      batch.push(m);
      if (batch.length < PROBE_COMMANDS.length) return;
      inFlightAtFirstReply = batch.length;
      for (const c of batch) pr.reply(c, REPLIES[String(c.execute)]);
    };
    const probe = await probeQemu(qmp);
    assert.equal(inFlightAtFirstReply, 5, 'all 5 queries were sent before the first reply');
    assert.deepEqual(
      batch.map((m) => m.execute),
      ['query-version', 'query-commands', 'query-migrate-capabilities', 'query-qmp-schema', 'qom-list-types'],
    );
    assert.deepEqual(probe.version, { major: 7, minor: 2, micro: 22 });
    assert.equal(probe.package, 'Debian 1:7.2+dfsg-7+deb12u18+b3');
    assert.deepEqual(probe.capabilities, ['xbzrle', 'events', 'postcopy-ram', 'x-colo', 'multifd']);
    assert.equal(probe.hasColo, true);
    assert.equal(probe.hasReplication, true);
    assert.equal(probe.hasColoProxy, true);
    assert.equal(probe.commands.has('x-colo-lost-heartbeat'), true);
    assert.equal(probe.commands.size, COMMANDS.length);
    await qmp.close();
  });

  test('optional queries refused degrade; required ones refused reject', async () => {
    const { peer, qmp } = await connectedPeer();
    peer.handler = (m, pr) => {
      if (
        m.execute === 'query-qmp-schema' ||
        m.execute === 'qom-list-types' ||
        m.execute === 'query-migrate-capabilities'
      ) {
        pr.replyError(m, 'CommandNotFound', `The command ${String(m.execute)} has not been found`);
      } else pr.reply(m, REPLIES[String(m.execute)]);
    };
    const probe = await probeQemu(qmp);
    assert.deepEqual(probe.capabilities, []);
    assert.equal(probe.hasColo, false, 'no x-colo capability known');
    assert.equal(probe.hasReplication, true, 'falls back to xen-set-replication in query-commands');
    assert.equal(probe.hasColoProxy, false);

    peer.handler = (m, pr) => {
      if (m.execute === 'query-commands') pr.replyError(m, 'GenericError', 'nope');
      else pr.reply(m, REPLIES[String(m.execute)]);
    };
    await assert.rejects(probeQemu(qmp), (e: unknown) => e instanceof QmpError && e.command === 'query-commands');
    await qmp.close();
  });
});

describe('probeFromReplies', () => {
  test('hasColo needs the x-colo capability and both COLO commands', () => {
    const base = { version: VERSION, migrateCapabilities: CAPS, schema: SCHEMA, qomTypes: QOM };
    assert.equal(probeFromReplies({ ...base, commands: COMMANDS }).hasColo, true);
    assert.equal(
      probeFromReplies({ ...base, commands: COMMANDS.filter((c) => c.name !== 'query-colo-status') }).hasColo,
      false,
    );
    assert.equal(
      probeFromReplies({ ...base, commands: COMMANDS.filter((c) => c.name !== 'x-colo-lost-heartbeat') }).hasColo,
      false,
    );
    assert.equal(
      probeFromReplies({
        ...base,
        commands: COMMANDS,
        migrateCapabilities: CAPS.filter((c) => c.capability !== 'x-colo'),
      }).hasColo,
      false,
    );
  });

  test('replication is read from the block driver enum; colo proxy needs all four object types', () => {
    assert.equal(schemaHasReplication(SCHEMA), true);
    assert.equal(schemaHasReplication([{ name: '9', 'meta-type': 'enum', values: ['qcow2', 'raw'] }]), false);
    // newer QEMUs list enum members as objects
    assert.equal(
      schemaHasReplication([{ 'meta-type': 'enum', members: [{ name: 'qcow2' }, { name: 'replication' }] }]),
      true,
    );
    assert.equal(schemaHasReplication('junk'), false);
    const p = probeFromReplies({
      version: VERSION,
      commands: COMMANDS,
      qomTypes: QOM.filter((t) => t.name !== 'colo-compare'),
    });
    assert.equal(p.hasColoProxy, false);
  });

  test('a malformed version is refused with what was received', () => {
    assert.throws(
      () => probeFromReplies({ version: { nope: 1 }, commands: [] }),
      /query-version returned no version: .*nope/,
    );
    assert.throws(
      () => probeFromReplies({ version: { qemu: { major: 'x', minor: 1, micro: 0 } }, commands: [] }),
      /malformed version/,
    );
  });
});

describe('dialects', () => {
  const dialect = (s: string, pkg = '') => {
    const [major = 0, minor = 0, micro = 0] = s.split('.').map(Number);
    return dialectForVersion({ major, minor, micro }, { package: pkg });
  };

  test('7.2: reconnect, no secondary x-colo, not broken, TCG bugs', () => {
    assert.deepEqual(dialect('7.2.22', 'Debian 1:7.2+dfsg-7+deb12u18+b3'), {
      version: { major: 7, minor: 2, micro: 22 },
      reconnectOption: 'reconnect',
      runAsOption: 'runas',
      secondaryNeedsXColo: false,
      coloBroken: false,
      tcgColoBugs: true,
    });
  });

  test('version table boundaries', () => {
    assert.equal(dialect('8.0.5').secondaryNeedsXColo, false);
    assert.equal(dialect('8.1.0').secondaryNeedsXColo, true);
    assert.equal(dialect('9.1.3').reconnectOption, 'reconnect');
    assert.equal(dialect('9.2.0').reconnectOption, 'reconnect-ms');
    assert.equal(dialect('10.2.0').reconnectOption, 'reconnect-ms');
    for (const v of ['10.0.0', '10.0.2', '10.0.6', '10.1.0', '10.1.2']) assert.equal(dialect(v).coloBroken, true, v);
    for (const v of ['9.2.4', '10.0.7', '10.1.3', '10.2.0', '11.0.0']) assert.equal(dialect(v).coloBroken, false, v);
  });

  test('a build marked with the TCG fixes, or declared fixed, has no tcgColoBugs', () => {
    assert.equal(dialect('7.2.22', `Debian 1:7.2+dfsg-7+deb12u18+b3 ${TCG_COLO_FIXES_MARKER}`).tcgColoBugs, false);
    assert.equal(dialectForVersion({ major: 7, minor: 2, micro: 22 }, { tcgFixesApplied: true }).tcgColoBugs, false);
  });

  test('dialectFromProbe uses the probed version and package', () => {
    const probe = probeFromReplies({
      version: { qemu: { major: 10, minor: 0, micro: 2 }, package: 'Debian 1:10.0.2+ds-1~bpo12+1' },
      commands: [],
    });
    const d = dialectFromProbe(probe);
    assert.deepEqual(d.version, { major: 10, minor: 0, micro: 2 });
    assert.equal(d.coloBroken, true);
    assert.equal(d.reconnectOption, 'reconnect-ms');
    assert.equal(d.secondaryNeedsXColo, true);
  });

  test('compareVersions orders by major, minor, micro', () => {
    assert.equal(compareVersions({ major: 9, minor: 2, micro: 0 }, { major: 10, minor: 0, micro: 0 }), -1);
    assert.equal(compareVersions({ major: 10, minor: 1, micro: 0 }, { major: 10, minor: 0, micro: 9 }), 1);
    assert.equal(compareVersions({ major: 7, minor: 2, micro: 22 }, { major: 7, minor: 2, micro: 22 }), 0);
  });
});

describe('probeBinaryVersion', () => {
  test('parses Debian and other --version outputs', () => {
    assert.deepEqual(
      probeBinaryVersion(
        'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u16)\nCopyright (c) 2003-2022 Fabrice Bellard ' +
          'and the QEMU Project developers\n',
      ),
      { version: { major: 7, minor: 2, micro: 22 }, package: 'Debian 1:7.2+dfsg-7+deb12u16' },
    );
    assert.deepEqual(probeBinaryVersion('QEMU emulator version 9.1.0\nCopyright (c) 2003-2024'), {
      version: { major: 9, minor: 1, micro: 0 },
      package: '',
    });
    assert.deepEqual(probeBinaryVersion('QEMU emulator version 10.1.50 (v10.1.0-1513-g0123abcd)\n').version, {
      major: 10,
      minor: 1,
      micro: 50,
    });
    // old single-line form: the package stops at its own closing parenthesis
    assert.deepEqual(
      probeBinaryVersion(
        'QEMU emulator version 2.5.0 (Debian 1:2.5+dfsg-5ubuntu10), Copyright (c) 2003-2008 Fabrice Bellard',
      ),
      {
        version: { major: 2, minor: 5, micro: 0 },
        package: 'Debian 1:2.5+dfsg-5ubuntu10',
      },
    );
    assert.equal(
      probeBinaryVersion('QEMU emulator version 8.2.2 (qemu-8.2.2-1.fc40 (colo-tcg-fixes))').package,
      'qemu-8.2.2-1.fc40 (colo-tcg-fixes)',
    );
  });

  test('anything else is refused with what was received', () => {
    assert.throws(
      () => probeBinaryVersion('bash: qemu-system-x86_64: command not found\n'),
      /not a QEMU --version output: "bash: qemu-system-x86_64: command not found"/,
    );
    assert.throws(() => probeBinaryVersion(''), /not a QEMU --version output: ""/);
  });
});
