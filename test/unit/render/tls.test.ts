/**
 * TLS in what colo renders: the two tls-creds-x509 objects on every QEMU of a TLS pair, TLS on the
 * cross-host chardevs, the secondary's migration listener, its NBD server, the primary's NBD clients
 * and migration, the promoted primary's re-created proxy servers; nothing of it on a plain pair.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dialectForVersion,
  initialPlacement,
  placementAfterFailoverToSecondary,
  renderMirrorStart,
  renderSecondaryPrepare,
  renderSwitchover,
} from '../../../src/render/index.ts';
import { renderPrimaryArgv, renderSecondaryArgv } from '../../../src/render/argv.ts';
import { renderNbdPlainProbe } from '../../../src/render/recipes/tls-probe.ts';
import type { Spec } from '../../../src/spec/types.ts';
import { labSpec, onlyVm } from './spec-fixtures.ts';

const d72 = dialectForVersion({ major: 7, minor: 2, micro: 0 });
const o = { dialect: d72, kvmAvailable: false };

function tlsLab(dirA = '/etc/colo/tls', dirB = '/srv/pki/colo'): Spec {
  const spec = labSpec();
  spec.hosts['a']!.tls = { dir: dirA };
  spec.hosts['b']!.tls = { dir: dirB };
  onlyVm(spec).tls = true;
  return spec;
}

const args = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));

describe('render: TLS', () => {
  test('both QEMUs get a server and a client tls-creds-x509 on their own host dir, verifying the peer', () => {
    const spec = tlsLab();
    const vm = onlyVm(spec);
    const p = renderPrimaryArgv(spec, vm, initialPlacement(vm), o);
    const s = renderSecondaryArgv(spec, vm, initialPlacement(vm), o);
    const creds = (dir: string) => [
      `tls-creds-x509,id=colo-tls-server,endpoint=server,dir=${dir},verify-peer=on`,
      `tls-creds-x509,id=colo-tls-client,endpoint=client,dir=${dir},verify-peer=on`,
    ];
    assert.deepEqual(
      args(p, '-object').filter((a) => a.startsWith('tls-')),
      creds('/etc/colo/tls'),
    );
    assert.deepEqual(
      args(s, '-object').filter((a) => a.startsWith('tls-')),
      creds('/srv/pki/colo'),
    );
  });

  test('cross-host chardevs: servers on the primary, clients on the secondary; the unix loops stay plain', () => {
    const spec = tlsLab();
    const vm = onlyVm(spec);
    const p = args(renderPrimaryArgv(spec, vm, initialPlacement(vm), o), '-chardev');
    const s = args(renderSecondaryArgv(spec, vm, initialPlacement(vm), o), '-chardev');
    assert.deepEqual(
      p.filter((c) => c.includes('tls-creds')).map((c) => c.split(',')[1]),
      ['id=mirror0-net0', 'id=compare1-net0'],
    );
    assert.ok(p.filter((c) => c.includes('tls-creds')).every((c) => c.endsWith(',tls-creds=colo-tls-server')));
    assert.ok(p.filter((c) => c.includes('path=')).every((c) => !c.includes('tls-creds')));
    assert.deepEqual(
      s.map((c) => c.split(',').pop()),
      ['tls-creds=colo-tls-client', 'tls-creds=colo-tls-client'],
    );
  });

  test("the secondary's migration listener takes TLS from the start, before -incoming", () => {
    const spec = tlsLab();
    const vm = onlyVm(spec);
    const s = renderSecondaryArgv(spec, vm, initialPlacement(vm), o);
    const g = s.indexOf('-global');
    assert.equal(s[g + 1], 'migration.tls-creds=colo-tls-server');
    assert.ok(g < s.indexOf('-incoming'));
  });

  test('a dir with a comma is escaped by the QemuOpts rule (",,"), never splits the option', () => {
    const spec = tlsLab('/srv/pki,dir=/tmp/evil', '/b');
    const vm = onlyVm(spec);
    const p = args(renderPrimaryArgv(spec, vm, initialPlacement(vm), o), '-object');
    assert.ok(
      p.includes('tls-creds-x509,id=colo-tls-server,endpoint=server,dir=/srv/pki,,dir=/tmp/evil,verify-peer=on'),
    );
  });

  test('QMP: NBD server with the server creds, NBD clients and migration with the client creds', () => {
    const spec = tlsLab();
    const vm = onlyVm(spec);
    const prep = renderSecondaryPrepare(spec, vm, initialPlacement(vm), d72)[0]!.commands;
    assert.equal(prep.find((c) => c.execute === 'nbd-server-start')?.arguments?.['tls-creds'], 'colo-tls-server');
    const mirror = renderMirrorStart(spec, vm, initialPlacement(vm))[0]!.commands;
    assert.equal(mirror.find((c) => c.execute === 'blockdev-add')?.arguments?.['tls-creds'], 'colo-tls-client');
    const sw = renderSwitchover(spec, vm, initialPlacement(vm)).flatMap((ph) => ph.commands);
    const params = sw.find((c) => c.execute === 'migrate-set-parameters')!.arguments!;
    assert.equal(params['tls-creds'], 'colo-tls-client');
    const nbd = sw.filter((c) => c.execute === 'blockdev-add' && c.arguments?.['driver'] === 'nbd');
    assert.ok(nbd.length > 0 && nbd.every((c) => c.arguments?.['tls-creds'] === 'colo-tls-client'));
  });

  test('a promoted primary re-creates its mirror and compare servers with the server creds', () => {
    const spec = tlsLab();
    const vm = onlyVm(spec);
    const p = placementAfterFailoverToSecondary(initialPlacement(vm));
    const adds = renderSwitchover(spec, vm, p)
      .flatMap((ph) => ph.commands)
      .filter((c) => c.execute === 'chardev-add');
    const tls = adds.map((c) => {
      const data = (c.arguments!['backend'] as { data: Record<string, unknown> }).data;
      return [c.arguments!['id'], data['tls-creds'] ?? null];
    });
    assert.deepEqual(tls, [
      ['mirror0-net0', 'colo-tls-server'],
      ['compare1-net0', 'colo-tls-server'],
      ['compare0-net0', null],
      ['compare0-0-net0', null],
      ['compare_out-net0', null],
      ['compare_out0-net0', null],
    ]);
  });

  test('a plain pair renders no TLS anywhere', () => {
    const spec = labSpec();
    spec.hosts['a']!.tls = { dir: '/etc/colo/tls' }; // a host dir alone does not turn TLS on
    const vm = onlyVm(spec);
    const all = [
      ...renderPrimaryArgv(spec, vm, initialPlacement(vm), o),
      ...renderSecondaryArgv(spec, vm, initialPlacement(vm), o),
      JSON.stringify(renderSwitchover(spec, vm, initialPlacement(vm))),
      JSON.stringify(renderSecondaryPrepare(spec, vm, initialPlacement(vm), d72)),
      JSON.stringify(renderMirrorStart(spec, vm, initialPlacement(vm))),
    ].join(' ');
    assert.doesNotMatch(all, /tls/);
  });

  test("verify's plain NBD probe: qemu-img on the primary's host, no TLS, the first disk's export", () => {
    const spec = tlsLab();
    const vm = onlyVm(spec);
    const r = renderNbdPlainProbe(spec, vm, initialPlacement(vm))!;
    assert.equal(r.host, 'a');
    assert.deepEqual(r.body, {
      kind: 'exec',
      argv: [
        '/usr/bin/qemu-img',
        'info',
        '--image-opts',
        `driver=nbd,server.type=inet,server.host=${spec.hosts['b']!.replicationAddress},server.port=${vm.ports.nbd},` +
          'export=lab-disk0',
      ],
    });
  });
});
