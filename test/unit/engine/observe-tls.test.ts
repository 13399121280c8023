/**
 * HOST_OBSERVE_SCRIPT's TLS lines, run by sh against a temp tls dir and a fake QEMU: GnuTLS is told by
 * `-object help` listing tls-cipher-suites; each credentials file is reported readable or not, with
 * its mode; without a tls dir nothing of it is reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HOST_OBSERVE_SCRIPT } from '../../../src/render/recipes/observe.ts';
import { parseHostReport } from '../../../src/plan/observe-replies.ts';
import { probeBinaryVersion } from '../../../src/qmp/probe.ts';

describe('HOST_OBSERVE_SCRIPT: TLS support and credentials', () => {
  let root: string;
  const fakeQemu = async (name: string, types: string[]) => {
    const bin = path.join(root, name);
    const help = ['Object types:', ...types.map((t) => `  ${t}`)].join('\\n');
    await writeFile(
      bin,
      `#!/bin/sh\nif [ "$1" = -object ]; then printf '${help}\\n'; exit 0; fi\necho "QEMU emulator version 7.2.22"\n`,
      { mode: 0o755 },
    );
    return bin;
  };
  const run = (bin: string, tls: string) => {
    const r = spawnSync('sh', ['-c', HOST_OBSERVE_SCRIPT, 'colo-observe', bin, root, tls], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return parseHostReport('alpha', r.stdout, probeBinaryVersion).host;
  };

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-observe-tls-'));
    const dir = path.join(root, 'tls dir $(touch pwned)');
    await mkdir(dir);
    for (const f of ['ca-cert.pem', 'server-cert.pem', 'server-key.pem', 'client-cert.pem'])
      await writeFile(path.join(dir, f), 'x');
    await chmod(path.join(dir, 'server-key.pem'), 0o640);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('a GnuTLS build, four files of five, the key modes as they are', async () => {
    const bin = await fakeQemu('qemu-gnutls', ['tls-cipher-suites', 'tls-creds-x509']);
    const h = run(bin, path.join(root, 'tls dir $(touch pwned)'));
    assert.equal(h.gnutls, true);
    const byName = Object.fromEntries((h.tlsFiles ?? []).map((f) => [f.name, f]));
    assert.equal(byName['server-key.pem']?.mode, '640');
    assert.equal(byName['client-key.pem']?.readable, false);
    assert.equal(Object.keys(byName).length, 5);
  });

  test('a build without GnuTLS (tls-creds-x509 listed, tls-cipher-suites not), and no tls dir at all', async () => {
    const bin = await fakeQemu('qemu-plain', ['tls-creds-anon', 'tls-creds-x509']);
    assert.equal(run(bin, path.join(root, 'nowhere')).gnutls, false);
    const none = run(bin, '');
    assert.equal(none.gnutls, undefined);
    assert.equal(none.tlsFiles, undefined);
  });
});
