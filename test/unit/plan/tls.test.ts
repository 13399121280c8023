/**
 * The planner and status with TLS: a TLS pair on a QEMU without GnuTLS or with missing credentials is
 * blocked with the reason (no step starts a QEMU), readable keys are a warning, and each replication
 * channel is read as tls or plain from what observation found. Also the host report's TLS lines.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { channelSecurity } from '../../../src/plan/channel-security.ts';
import { parseHostReport } from '../../../src/plan/observe-replies.ts';
import { probeBinaryVersion } from '../../../src/qmp/probe.ts';
import { TLS_CRED_FILES } from '../../../src/render/tls.ts';
import type { ObservedHost } from '../../../src/plan/observed.ts';
import {
  healthyWeb,
  loadYaml,
  obsHost,
  observation,
  plan,
  startedAsRunning,
  state,
  stepLines,
  vmOf,
  vmState,
  webSpecYaml,
} from './plan-fixtures.ts';

const tlsSpec = () => loadYaml(webSpecYaml().replace('\nvms:\n', '\ntls: { dir: /etc/colo/tls }\nvms:\n'));
const allFiles = (mode = '600'): ObservedHost['tlsFiles'] =>
  TLS_CRED_FILES.map((name) => ({ name, readable: true, mode: name.endsWith('-key.pem') ? mode : '644' }));
const tlsHost = (name: string, o: Partial<ObservedHost> = {}) =>
  obsHost(name, { gnutls: true, tlsFiles: allFiles(), workDirExists: false, ...o });

describe('plan: a TLS pair that cannot work is refused with the reason', () => {
  test('with GnuTLS and every credentials file, the pair is started as usual', () => {
    const p = plan(tlsSpec(), null, observation([tlsHost('alpha'), tlsHost('beta')], {}));
    assert.deepEqual(p.blocked, []);
    assert.ok(
      stepLines(p).some((l) => l.startsWith('create primary-start alpha')),
      stepLines(p).join('\n'),
    );
  });

  test('a QEMU built without GnuTLS blocks the pair; no step is planned for it', () => {
    const p = plan(tlsSpec(), null, observation([tlsHost('alpha'), tlsHost('beta', { gnutls: false })], {}));
    assert.equal(p.steps.filter((s) => s.vm === 'web').length, 0);
    assert.equal(p.blocked.length, 1);
    assert.match(p.blocked[0]!.reason, /^web uses TLS, which cannot work here: the QEMU on beta .* without GnuTLS/);
    assert.match(p.blocked[0]!.hint!, /vms\.web\.tls\.enabled: false/);
  });

  test('missing or unreadable files are named, with the directory and host', () => {
    const files = allFiles()!.map((f) => (f.name === 'server-key.pem' ? { ...f, readable: false } : f));
    const p = plan(
      tlsSpec(),
      null,
      observation([tlsHost('alpha', { tlsFiles: files.filter((f) => f.name !== 'ca-cert.pem') }), tlsHost('beta')], {}),
    );
    assert.match(
      p.blocked[0]!.reason,
      /\/etc\/colo\/tls on alpha lacks \(or cannot read\) ca-cert\.pem, server-key\.pem/,
    );
  });

  test('a private key others can read is a warning, not a block', () => {
    const p = plan(
      tlsSpec(),
      null,
      observation([tlsHost('alpha', { tlsFiles: allFiles('644') }), tlsHost('beta')], {}),
    );
    assert.deepEqual(p.blocked, []);
    assert.ok(
      p.warnings.some((w) => /\/etc\/colo\/tls\/server-key\.pem on alpha is readable by others \(mode 644\)/.test(w)),
    );
  });

  test('a plain pair on a QEMU without GnuTLS is not affected', () => {
    const spec = loadYaml(webSpecYaml());
    const p = plan(
      spec,
      null,
      observation([obsHost('alpha', { gnutls: false, workDirExists: false }), obsHost('beta')], {}),
    );
    assert.deepEqual(p.blocked, []);
  });
});

describe('plan: turning TLS on for a running pair', () => {
  test('is a replacement (QEMU takes its credentials only at start): the primary restarts, the pair is rebuilt', () => {
    const plain = loadYaml(webSpecYaml());
    const running = healthyWeb(plain);
    running.hosts['alpha'] = tlsHost('alpha', { workDirExists: true });
    running.hosts['beta'] = tlsHost('beta', { workDirExists: true });
    const st = state({ web: vmState({ started: startedAsRunning(plain) }) });
    const p = plan(tlsSpec(), st, running);
    assert.deepEqual(p.drift, []);
    const stop = p.steps.find((x) => x.kind === 'primary-stop')!;
    assert.equal(stop.action, 'replace');
    assert.equal(stop.reason, 'the spec changed a setting QEMU only takes at start');
    assert.match(JSON.stringify(stop.changes), /tls-creds-x509,id=colo-tls-server/);
    assert.ok(p.warnings.some((w) => /restarts its guest/.test(w)));
    assert.ok(
      stepLines(p).some((l) => l.startsWith('create primary-start alpha')),
      stepLines(p).join('\n'),
    );
  });
});

describe('channel security from the observation', () => {
  test('a healthy TLS pair: migration, nbd and proxy are tls', () => {
    const spec = tlsSpec();
    const obs = healthyWeb(
      spec,
      { migrateParams: { 'tls-creds': 'colo-tls-client' } },
      { migrateParams: { 'tls-creds': 'colo-tls-server' } },
    );
    const q = obs.vms['web']!.qemu;
    assert.deepEqual(
      channelSecurity(vmOf(spec), q['alpha'], q['beta']).map((c) => [c.channel, c.mode]),
      [
        ['migration', 'tls'],
        ['nbd', 'tls'],
        ['proxy', 'tls'],
      ],
    );
  });

  test('a plain pair: all plain; one side without tls-creds makes migration plain; no observation is unknown', () => {
    const spec = loadYaml(webSpecYaml());
    const obs = healthyWeb(spec, { migrateParams: { 'tls-creds': '' } }, { migrateParams: { 'tls-creds': '' } });
    const q = obs.vms['web']!.qemu;
    assert.deepEqual(
      channelSecurity(vmOf(spec), q['alpha'], q['beta']).map((c) => c.mode),
      ['plain', 'plain', 'plain'],
    );
    const half = healthyWeb(tlsSpec(), { migrateParams: { 'tls-creds': '' } }, { migrateParams: { 'tls-creds': 'x' } });
    const m = channelSecurity(vmOf(spec), half.vms['web']!.qemu['alpha'], half.vms['web']!.qemu['beta'])[0]!;
    assert.deepEqual([m.mode, m.detail], ['plain', 'tls-creds only on the secondary']);
    assert.deepEqual(
      channelSecurity(vmOf(spec), undefined, undefined).map((c) => c.mode),
      ['unknown', 'unknown', 'unknown'],
    );
  });
});

describe("the host report's TLS lines", () => {
  test('gnutls and tlsfile lines become the observed host', () => {
    const out = ['workdir 1', 'kvm 0', 'gnutls 0', 'tlsfile ca-cert.pem 1 644', 'tlsfile server-key.pem 0 -'].join(
      '\n',
    );
    const r = parseHostReport('alpha', out, probeBinaryVersion);
    assert.equal(r.host.gnutls, false);
    assert.deepEqual(r.host.tlsFiles, [
      { name: 'ca-cert.pem', readable: true, mode: '644' },
      { name: 'server-key.pem', readable: false },
    ]);
    assert.equal(parseHostReport('alpha', 'workdir 1', probeBinaryVersion).host.gnutls, undefined);
  });
});
