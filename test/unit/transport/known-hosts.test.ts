import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import {
  hashHostName,
  knownHostsName,
  knownKeyTypes,
  lookupHostKey,
  parseKnownHosts,
} from '../../../src/transport/known-hosts.ts';
import type { KnownHostsFs } from '../../../src/transport/known-hosts-file.ts';
import { verifyHostKey } from '../../../src/transport/host-key-policy.ts';
import { fingerprint, formatPublicKey, parsePublicKey } from '../../../src/transport/ssh-keys.ts';
import { HostKeyError } from '../../../src/transport/types.ts';

const { utils } = ssh2;

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { text: string; blob: Buffer } {
  const kp =
    type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : utils.generateKeyPairSync('ed25519');
  const text = kp.public.trim().split(/\s+/).slice(0, 2).join(' ');
  return { text, blob: parsePublicKey(text).key };
}

const A = newKey();
const B = newKey();
const E = newKey('ecdsa');
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'colo-kh-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function khFile(content: string): Promise<string> {
  const f = join(dir, `kh-${Math.random().toString(36).slice(2)}`);
  await writeFile(f, content);
  return f;
}

describe('fingerprint and key text', () => {
  test('matches ssh-keygen -l', async () => {
    const f = await khFile(`${A.text} test\n`);
    const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split(' ')[1], fingerprint(A.blob));
    assert.match(fingerprint(A.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
  test('formatPublicKey round-trips; parsePublicKey rejects garbage and type mismatch', () => {
    assert.equal(formatPublicKey(A.blob), A.text);
    assert.throws(() => parsePublicKey('ssh-ed25519'), /not an OpenSSH public key/);
    assert.throws(() => parsePublicKey(`ssh-rsa ${A.text.split(' ')[1]}`), /does not encode a ssh-rsa key/);
  });
  test('knownHostsName uses [host]:port except for port 22', () => {
    assert.equal(knownHostsName('Example.COM', 22), 'example.com');
    assert.equal(knownHostsName('127.0.0.11', 2222), '[127.0.0.11]:2222');
  });
});

describe('parseKnownHosts', () => {
  const text = [
    '# comment',
    '',
    `alpha,198.18.1.1 ${A.text}`,
    `[127.0.0.11]:2222 ${B.text} comment here`,
    `${hashHostName('hashed.example')} ${A.text}`,
    `*.corp,!evil.corp ${B.text}`,
    `@revoked * ${E.text}`,
    `@cert-authority *.example ${A.text}`,
    'garbage',
    `@bogus host ${A.text}`,
    `broken ssh-ed25519 !!!notbase64`,
  ].join('\n');
  const kh = parseKnownHosts(text);

  test('entries and invalid lines', () => {
    assert.equal(kh.entries.length, 6);
    assert.deepEqual(kh.invalidLines, [9, 10, 11]);
    assert.equal(kh.entries[0]?.line, 3);
    assert.deepEqual(kh.entries[0]?.hosts, { kind: 'patterns', patterns: ['alpha', '198.18.1.1'] });
    assert.equal(kh.entries[4]?.marker, 'revoked');
    assert.equal(kh.entries[5]?.marker, 'cert-authority');
  });
  test('comma lists', () => {
    assert.equal(lookupHostKey(kh, '198.18.1.1', A.blob).status, 'known');
    assert.equal(lookupHostKey(kh, 'alpha', A.blob).status, 'known');
  });
  test('[host]:port entries only match that port', () => {
    assert.equal(lookupHostKey(kh, '[127.0.0.11]:2222', B.blob).status, 'known');
    assert.equal(lookupHostKey(kh, '127.0.0.11', B.blob).status, 'unknown');
    assert.equal(lookupHostKey(kh, '[127.0.0.11]:2223', B.blob).status, 'unknown');
  });
  test('hashed entries', () => {
    assert.equal(lookupHostKey(kh, 'hashed.example', A.blob).status, 'known');
    assert.equal(lookupHostKey(kh, 'other.test', A.blob).status, 'unknown');
  });
  test('wildcards and negation', () => {
    assert.equal(lookupHostKey(kh, 'db.corp', B.blob).status, 'known');
    assert.equal(lookupHostKey(kh, 'evil.corp', B.blob).status, 'unknown');
  });
  test('changed key of the same type names the entry', () => {
    const r = lookupHostKey(kh, 'alpha', B.blob);
    assert.equal(r.status, 'changed');
    assert.equal(r.status === 'changed' && r.entry.line, 3);
  });
  test('@revoked refuses the key; a host named only by @cert-authority is not unknown', () => {
    assert.equal(lookupHostKey(kh, 'anything', E.blob).status, 'revoked');
    const r = lookupHostKey(kh, 'x.example', A.blob);
    assert.equal(r.status, 'cert-authority');
    assert.equal(r.status === 'cert-authority' && r.entry.line, 8);
    assert.equal(lookupHostKey(kh, 'x.example.org', A.blob).status, 'unknown');
  });
  test('a host named by a line that cannot be parsed is not unknown; a malformed hashed field names nobody', () => {
    assert.deepEqual(
      kh.invalidHosts?.map((b) => b.line),
      [9, 10, 11],
    );
    assert.deepEqual(lookupHostKey(kh, 'broken', A.blob), { status: 'unparseable', line: 11 });
    assert.deepEqual(lookupHostKey(kh, 'host', A.blob), { status: 'unparseable', line: 10 });
    assert.deepEqual(lookupHostKey(kh, 'garbage', A.blob), { status: 'unparseable', line: 9 }, 'a host with no key');
    assert.equal(lookupHostKey(kh, 'nobody.test', A.blob).status, 'unknown');
    const hashedBad = parseKnownHosts(`${hashHostName('h.example')} ssh-ed25519\n|1|bad|bad ${A.text}\n`);
    assert.deepEqual(lookupHostKey(hashedBad, 'h.example', A.blob), { status: 'unparseable', line: 1 });
  });
  test('knownKeyTypes', () => {
    assert.deepEqual(knownKeyTypes(kh, 'alpha'), ['ssh-ed25519']);
    assert.deepEqual(knownKeyTypes(kh, 'nobody'), []);
  });
  test('entries hashed by ssh-keygen -H are found', async () => {
    const f = await khFile(`[127.0.0.12]:2200 ${A.text}\nhost.example ${B.text}\n`);
    const r = spawnSync('ssh-keygen', ['-H', '-f', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const hashed = parseKnownHosts(await readFile(f, 'utf8'));
    assert.ok(hashed.entries.every((e) => e.hosts.kind === 'hashed'));
    assert.equal(lookupHostKey(hashed, '[127.0.0.12]:2200', A.blob).status, 'known');
    assert.equal(lookupHostKey(hashed, 'host.example', B.blob).status, 'known');
    assert.equal(lookupHostKey(hashed, 'host.example', A.blob).status, 'changed');
  });
});

describe('verifyHostKey policy', () => {
  const base = { host: 'beta', address: '127.0.0.12', port: 2222 };

  test('pinned key accepted with an empty/missing known_hosts', async () => {
    const v = await verifyHostKey(
      { ...base, pinnedKey: `${A.text} comment`, knownHostsFile: join(dir, 'none') },
      A.blob,
    );
    assert.deepEqual(v, { accepted: 'pinned', fingerprint: fingerprint(A.blob) });
  });
  test('pinned key wins over known_hosts: mismatch refused even if known_hosts has the key', async () => {
    const f = await khFile(`[127.0.0.12]:2222 ${A.text}\n`);
    await assert.rejects(verifyHostKey({ ...base, pinnedKey: B.text, knownHostsFile: f }, A.blob), (e: unknown) => {
      assert.ok(e instanceof HostKeyError);
      assert.match(e.message, /does not match the key pinned/);
      assert.ok(e.message.includes(fingerprint(A.blob)) && e.message.includes(fingerprint(B.blob)));
      return true;
    });
  });
  test('invalid pinned key is an error', async () => {
    await assert.rejects(verifyHostKey({ ...base, pinnedKey: 'nonsense' }, A.blob), /pinned hostKey is invalid/);
  });
  test('known key accepted with file and line', async () => {
    const f = await khFile(`other ${B.text}\n[127.0.0.12]:2222 ${A.text}\n`);
    assert.deepEqual(await verifyHostKey({ ...base, knownHostsFile: f }, A.blob), {
      accepted: 'known',
      fingerprint: fingerprint(A.blob),
      file: f,
      line: 2,
    });
  });
  test('unknown host refused with fingerprint and how to accept; file untouched', async () => {
    const f = await khFile(`other ${B.text}\n`);
    await assert.rejects(verifyHostKey({ ...base, knownHostsFile: f }, A.blob), (e: unknown) => {
      assert.ok(e instanceof HostKeyError);
      assert.equal(e.fingerprint, fingerprint(A.blob));
      assert.ok(e.message.includes(fingerprint(A.blob)));
      assert.match(e.message, /--accept-new-host-keys/);
      assert.match(e.message, /hostKey:/);
      return true;
    });
    assert.equal(await readFile(f, 'utf8'), `other ${B.text}\n`);
  });
  test('missing known_hosts = empty: unknown refused', async () => {
    await assert.rejects(
      verifyHostKey({ ...base, knownHostsFile: join(dir, 'missing', 'kh') }, A.blob),
      /unknown host key/,
    );
  });
  test('accept-new records a hashed line, creating dir 0700 and file 0600; then it is known', async () => {
    const f = join(dir, 'newdir', '.ssh', 'known_hosts');
    const v = await verifyHostKey({ ...base, knownHostsFile: f, acceptNew: true }, A.blob);
    assert.deepEqual(v, { accepted: 'new', fingerprint: fingerprint(A.blob), file: f });
    assert.equal((await stat(f)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'newdir', '.ssh'))).mode & 0o777, 0o700);
    const text = await readFile(f, 'utf8');
    assert.match(text, /^\|1\|[^ ]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    const again = await verifyHostKey({ ...base, knownHostsFile: f }, A.blob);
    assert.equal(again.accepted, 'known');
    // OpenSSH finds what we wrote
    const r = spawnSync('ssh-keygen', ['-F', '[127.0.0.12]:2222', '-f', f], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /ssh-ed25519/);
  });
  test('accept-new appends after a last line without newline', async () => {
    const f = await khFile(`other ${B.text}`);
    await verifyHostKey({ ...base, knownHostsFile: f, acceptNew: true }, A.blob);
    const lines = (await readFile(f, 'utf8')).split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], `other ${B.text}`);
    assert.equal(parseKnownHosts(lines.join('\n')).entries.length, 2);
  });
  test('changed key refused, even with accept-new; names file:line and both fingerprints', async () => {
    const f = await khFile(`# c\n[127.0.0.12]:2222 ${B.text}\n`);
    for (const acceptNew of [false, true]) {
      await assert.rejects(verifyHostKey({ ...base, knownHostsFile: f, acceptNew }, A.blob), (e: unknown) => {
        assert.ok(e instanceof HostKeyError);
        assert.match(e.message, /HOST KEY CHANGED/);
        assert.ok(e.message.includes(`${f}:2`));
        assert.ok(e.message.includes(fingerprint(A.blob)));
        assert.ok(e.message.includes(fingerprint(B.blob)));
        return true;
      });
    }
    assert.equal((await readFile(f, 'utf8')).split('\n').length, 3);
  });
  test('revoked key refused', async () => {
    const f = await khFile(`@revoked * ${A.text}\n[127.0.0.12]:2222 ${A.text}\n`);
    await assert.rejects(verifyHostKey({ ...base, knownHostsFile: f, acceptNew: true }, A.blob), /@revoked/);
  });
  test('a host known only through @cert-authority is never trusted on first use', async () => {
    const text = `@cert-authority [127.0.0.*]:2222 ${B.text}\n`;
    const f = await khFile(text);
    for (const acceptNew of [false, true]) {
      await assert.rejects(verifyHostKey({ ...base, knownHostsFile: f, acceptNew }, A.blob), (e: unknown) => {
        assert.ok(e instanceof HostKeyError);
        assert.match(e.message, /is known in .*:1 only through a @cert-authority line: colo cannot verify CA-signed/);
        assert.match(e.message, /not even with --accept-new-host-keys/);
        assert.ok(e.message.includes(`hostKey: "${A.text}"`), e.message);
        return true;
      });
    }
    assert.equal(await readFile(f, 'utf8'), text, 'nothing recorded');
    // a plain line for the host still works next to the CA line
    const both = await khFile(`${text}[127.0.0.12]:2222 ${A.text}\n`);
    assert.equal((await verifyHostKey({ ...base, knownHostsFile: both }, A.blob)).accepted, 'known');
  });
  test('a line for the host that cannot be parsed is an error, not a new host', async () => {
    const text = `[127.0.0.12]:2222 ssh-ed25519 !!!truncated\n`;
    const f = await khFile(text);
    for (const acceptNew of [false, true]) {
      await assert.rejects(
        verifyHostKey({ ...base, knownHostsFile: f, acceptNew }, A.blob),
        /:1 names beta \(127\.0\.0\.12:2222\) \(\[127\.0\.0\.12\]:2222\) but cannot be parsed/,
      );
    }
    assert.equal(await readFile(f, 'utf8'), text, 'nothing recorded');
  });
  test('a different key type for a known host is refused, even with accept-new', async () => {
    const f = await khFile(`[127.0.0.12]:2222 ${E.text}\n`);
    await assert.rejects(verifyHostKey({ ...base, knownHostsFile: f }, A.blob), /only has ecdsa-sha2-nistp256 keys/);
    await assert.rejects(
      verifyHostKey({ ...base, knownHostsFile: f, acceptNew: true }, A.blob),
      /refusing to record a different key type/,
    );
  });
  test('known_hosts that is a directory fails closed', async () => {
    const d = join(dir, 'kh-dir');
    await mkdir(d);
    for (const acceptNew of [false, true]) {
      await assert.rejects(verifyHostKey({ ...base, knownHostsFile: d, acceptNew }, A.blob), (e: unknown) => {
        assert.ok(e instanceof HostKeyError);
        assert.match(e.message, /cannot read known hosts file .*EISDIR/);
        return true;
      });
    }
  });
  test('known_hosts unreadable (EACCES) fails closed', async () => {
    // Root reads any file regardless of mode, so the permission error is injected.
    let appended = false;
    const fs: KnownHostsFs = {
      readFile: async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
      appendFile: async () => {
        appended = true;
      },
      mkdir: async () => {},
    };
    await assert.rejects(
      verifyHostKey({ ...base, knownHostsFile: '/x/known_hosts', acceptNew: true, fs }, A.blob),
      /cannot read known hosts file \/x\/known_hosts \(EACCES\)/,
    );
    assert.equal(appended, false);
  });
  test(
    'known_hosts with mode 000 fails closed when not root',
    { skip: process.getuid?.() === 0 ? 'running as root' : false },
    async () => {
      const f = await khFile(`[127.0.0.12]:2222 ${A.text}\n`);
      const { chmod } = await import('node:fs/promises');
      await chmod(f, 0);
      await assert.rejects(verifyHostKey({ ...base, knownHostsFile: f }, A.blob), /EACCES/);
    },
  );
});
