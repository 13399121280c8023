/** `colo tls init` through the CLI: paths and fingerprints printed, never a key; bad input refused with a message. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { colo } from '../helpers/cli.ts';

describe('colo tls init (CLI)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-tls-cli-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the CLI prints paths and fingerprints, never a key; bad input is refused with a message', async () => {
    const dir = path.join(root, 'cli');
    const r = await colo(['tls', 'init', '--dir', dir, 'alpha=127.0.0.11', 'beta=127.0.0.12']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /alpha: .*\/cli\/alpha \(IP:127\.0\.0\.11\)/);
    const key = await readFile(path.join(dir, 'alpha', 'server-key.pem'), 'utf8');
    const keyBody = key.split('\n')[1]!;
    assert.ok(!r.stdout.includes(keyBody) && !r.stdout.includes('PRIVATE KEY'));
    const bad = await colo(['tls', 'init', '--dir', dir, 'x=1,DNS:evil']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"1,DNS:evil" is not a host name or IP address/);
    const missing = await colo(['tls', 'init', '--dir', dir, '-f', path.join(root, 'none.yaml')]);
    assert.equal(missing.code, 1);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
  });
});
