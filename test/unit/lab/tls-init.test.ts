/**
 * `colo tls init` (src/lab/tls-init.ts) with the real openssl: a private CA and per-host server and
 * client certificates that verify against it, name the host's address, carry the key purposes QEMU's
 * sanity check wants; private modes; an existing host directory refused; the CA reused. The CLI:
 * test/integration/tls-init-cli.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { caArgv, hostCertArgv, subjectAltName, tlsInit } from '../../../src/lab/tls-init.ts';

const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

describe('colo tls init', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-tls-init-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the argv is data: an IP address is an IP subjectAltName, a name a DNS one', () => {
    assert.equal(subjectAltName('198.18.0.1'), 'IP:198.18.0.1');
    assert.equal(subjectAltName('fd00::1'), 'IP:fd00::1');
    assert.equal(subjectAltName('beta.example.net'), 'DNS:beta.example.net');
    const a = hostCertArgv('/c', '/ca', { name: 'beta', address: '198.18.0.2' }, 'client', '/d/beta', 30);
    assert.ok(a.includes('extendedKeyUsage=clientAuth') && a.includes('subjectAltName=IP:198.18.0.2'));
    assert.ok(caArgv('/c', '/ca').includes('basicConstraints=critical,CA:TRUE'));
  });

  test('a CA and per-host credentials that verify, private, in the layout QEMU reads', async () => {
    const dir = path.join(root, 'pki');
    const r = await tlsInit({
      dir,
      hosts: [
        { name: 'alpha', address: '127.0.0.11' },
        { name: 'beta', address: '127.0.0.12' },
      ],
    });
    assert.equal(r.caReused, false);
    for (const h of ['alpha', 'beta']) {
      const d = path.join(dir, h);
      assert.equal((await stat(d)).mode & 0o777, 0o700);
      for (const f of ['server-key.pem', 'client-key.pem'])
        assert.equal((await stat(path.join(d, f))).mode & 0o777, 0o600);
      for (const role of ['server', 'client']) {
        const cert = path.join(d, `${role}-cert.pem`);
        const v = openssl(['verify', '-CAfile', path.join(d, 'ca-cert.pem'), '-purpose', `ssl${role}`, cert]);
        assert.equal(v.status, 0, v.stdout + v.stderr);
        const text = openssl(['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']).stdout;
        assert.match(text, new RegExp(`IP Address:127\\.0\\.0\\.${h === 'alpha' ? 11 : 12}`));
      }
    }
    assert.equal((await stat(path.join(dir, 'ca', 'ca-key.pem'))).mode & 0o777, 0o600);
    // a second run for a new host reuses the CA; an existing host directory is refused
    const again = await tlsInit({ dir, hosts: [{ name: 'gamma', address: '127.0.0.13' }] });
    assert.equal(again.caReused, true);
    const v = openssl([
      'verify',
      '-CAfile',
      path.join(dir, 'alpha', 'ca-cert.pem'),
      path.join(dir, 'gamma', 'server-cert.pem'),
    ]);
    assert.equal(v.status, 0, v.stderr);
    await assert.rejects(
      tlsInit({ dir, hosts: [{ name: 'alpha', address: '127.0.0.11' }] }),
      /alpha exists: remove it/,
    );
  });
});
