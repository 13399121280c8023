/** The spec's tls blocks: global, per host (the credentials directory) and per pair (on/off). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { SPEC_ENV } from './spec-env.ts';

const hosts = (alphaTls = '', betaTls = '') =>
  [
    'hosts:',
    '  alpha:',
    '    ssh: { address: 127.0.0.11 }',
    ...(alphaTls ? [`    tls: { dir: ${alphaTls} }`] : []),
    '  beta:',
    '    ssh: { address: 127.0.0.12 }',
    ...(betaTls ? [`    tls: { dir: ${betaTls} }`] : []),
  ].join('\n');

const vm = (name: string, tls = '') =>
  [
    `  ${name}:`,
    '    primary: alpha',
    '    secondary: beta',
    '    boot: { kernel: /srv/vmlinuz }',
    ...(tls ? [`    tls: ${tls}`] : []),
  ].join('\n');

function load(text: string) {
  return loadSpecText(`apiVersion: colo/v1\n${text}\n`, 'tls.yaml', SPEC_ENV);
}

describe('spec: tls', () => {
  test('no tls block: every pair is plain, no host has credentials', () => {
    const r = load(`${hosts()}\nvms:\n${vm('web')}`);
    assert.ok(r.spec, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(r.spec.vms[0]!.tls, undefined);
    assert.equal(r.spec.hosts['alpha']!.tls, undefined);
  });

  test('the top-level block turns TLS on for every pair; a host dir wins over the top-level dir', () => {
    const r = load(`${hosts('', '/srv/pki/colo')}\ntls: { dir: /etc/colo/tls }\nvms:\n${vm('web')}\n${vm('api')}`);
    assert.ok(r.spec, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.deepEqual(
      r.spec.vms.map((v) => v.tls),
      [true, true],
    );
    assert.deepEqual(r.spec.hosts['alpha']!.tls, { dir: '/etc/colo/tls' });
    assert.deepEqual(r.spec.hosts['beta']!.tls, { dir: '/srv/pki/colo' });
  });

  test("a pair's own enabled wins both ways", () => {
    const off = load(`${hosts()}\ntls: { dir: /etc/colo/tls }\nvms:\n${vm('web', '{ enabled: false }')}\n${vm('api')}`);
    assert.deepEqual(
      off.spec!.vms.map((v) => [v.name, v.tls]),
      [
        ['web', undefined],
        ['api', true],
      ],
    );
    const on = load(`${hosts('/a', '/b')}\nvms:\n${vm('web', '{ enabled: true }')}\n${vm('api')}`);
    assert.deepEqual(
      on.spec!.vms.map((v) => [v.name, v.tls]),
      [
        ['web', true],
        ['api', undefined],
      ],
    );
    const globalOff = load(`${hosts()}\ntls: { enabled: false, dir: /etc/colo/tls }\nvms:\n${vm('web')}`);
    assert.equal(globalOff.spec!.vms[0]!.tls, undefined);
  });

  test('a TLS pair whose host has no credentials directory is an error where TLS was turned on', () => {
    const r = load(`${hosts('/etc/pki')}\nvms:\n${vm('web', '{ enabled: true }')}`);
    assert.equal(r.spec, undefined);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
      'tls.yaml:13:21: vms.web uses TLS but its secondary host beta has no credentials directory: set ' +
        'hosts.beta.tls.dir or tls.dir (colo tls init makes one per host)',
    ]);
    const g = load(`${hosts()}\ntls: {}\nvms:\n${vm('web')}`);
    assert.equal(g.spec, undefined);
    assert.equal(g.diagnostics.filter((d) => d.severity === 'error').length, 2);
    assert.match(formatDiagnostic(g.diagnostics[0]!), /^tls\.yaml:7:1: vms\.web uses TLS but its primary host alpha/);
  });

  test('the schema refuses a relative dir, an unknown key and a host tls block without dir', () => {
    const rel = load(`${hosts('etc/pki', '/b')}\nvms:\n${vm('web', '{ enabled: true }')}`);
    assert.equal(rel.spec, undefined);
    assert.match(rel.diagnostics.map(formatDiagnostic).join('\n'), /hosts\.alpha\.tls\.dir/);
    const unknown = load(`${hosts()}\ntls: { dir: /x, verify: false }\nvms:\n${vm('web')}`);
    assert.match(unknown.diagnostics.map(formatDiagnostic).join('\n'), /unknown key "verify"/);
    const noDir = load(
      `${hosts()}\nvms:\n${vm('web')}`.replace(
        'ssh: { address: 127.0.0.11 }',
        'ssh: { address: 127.0.0.11 }\n    tls: {}',
      ),
    );
    assert.match(noDir.diagnostics.map(formatDiagnostic).join('\n'), /dir/);
  });
});
