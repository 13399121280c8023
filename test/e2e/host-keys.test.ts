/**
 * Host-key checking through the CLI, with the lab's keys NOT pinned in the spec (the lab normally
 * pins `hostKey`, so known_hosts handling was never exercised end to end): a known_hosts file that
 * does not know the hosts refuses them with their SHA256 fingerprints; --accept-new-host-keys records
 * them (hashed, in the file given by --known-hosts) and says so; then they are known; a host whose key
 * changed (its sshd got a new host key) is refused even with --accept-new-host-keys, the file keeps
 * the old key, and apply starts nothing on either host. HOME points at an empty directory, so the
 * user's own ~/.ssh/known_hosts is never read or written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { stopSshd } from '../../src/lab/sshd.ts';
import { colo as coloCli, eventually, startLab, type TestLab } from '../helpers/lab.ts';

const execFileP = promisify(execFile);

describe('host keys through the CLI (keys not pinned)', { timeout: 300_000 }, () => {
  let lab: TestLab;
  let home: string;
  let knownHosts: string;
  const fingerprint = async (pubFile: string) =>
    (await execFileP('ssh-keygen', ['-lf', pubFile])).stdout.split(' ')[1]!;
  const hostKeyFile = async (h: 'alpha' | 'beta') => {
    const conf = await readFile(lab.hosts.find((x) => x.name === h)!.configFile, 'utf8');
    return /^HostKey (.+)$/m.exec(conf)![1]!;
  };
  const colo = (args: string[]) =>
    coloCli([...args, '-f', lab.spec, '--known-hosts', knownHosts], { env: { HOME: home } });

  before(async () => {
    lab = await startLab();
    home = await mkdtemp(path.join(tmpdir(), 'colo-home-'));
    knownHosts = path.join(home, 'lab_known_hosts');
    await writeFile(knownHosts, '');
    const doc = parseDocument(await readFile(lab.spec, 'utf8'));
    for (const h of ['alpha', 'beta']) {
      assert.ok(doc.hasIn(['hosts', h, 'ssh', 'hostKey']), `the lab pins ${h}'s key`);
      doc.deleteIn(['hosts', h, 'ssh', 'hostKey']);
    }
    await writeFile(lab.spec, doc.toString({ lineWidth: 0 }));
  });
  after(async () => {
    await lab?.down();
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('unknown hosts are refused with their fingerprints; nothing is recorded', async () => {
    const r = await colo(['plan', '--detailed-exitcode']);
    for (const h of ['alpha', 'beta'] as const) {
      const fp = await fingerprint(`${await hostKeyFile(h)}.pub`);
      assert.match(
        r.stdout + r.stderr,
        new RegExp(
          `unknown host key for ${h} \\(127\\.0\\.0\\.1[12]:\\d+\\): ssh-ed25519 ${fp.replace(/[+/]/g, '\\$&')}`,
        ),
      );
    }
    assert.match(r.stdout + r.stderr, /--accept-new-host-keys/);
    assert.notEqual(r.code, 0, 'a plan that reached no host is not "No changes"');
    assert.equal(await readFile(knownHosts, 'utf8'), '', 'nothing recorded without --accept-new-host-keys');
    const s = await colo(['status', '--json']);
    const doc = JSON.parse(s.stdout) as { vms: { primary: { reachable: boolean } }[] };
    assert.equal(doc.vms[0]!.primary.reachable, false);
  });

  test('--accept-new-host-keys records them, says so, and they are known from then on', async () => {
    const r = await colo(['plan', '--accept-new-host-keys', '--detailed-exitcode']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /Plan: 4 to add/);
    for (const h of ['alpha', 'beta'] as const) {
      const fp = await fingerprint(`${await hostKeyFile(h)}.pub`);
      assert.ok(
        r.stderr.includes(`colo: recorded the new host key of ${h} (${fp}) in ${knownHosts}`),
        `no "recorded" line for ${h}: ${r.stderr}`,
      );
    }
    const lines = (await readFile(knownHosts, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, /^\|1\|\S+ ssh-ed25519 \S+$/, 'hashed host names');
    const again = await colo(['plan', '--detailed-exitcode']);
    assert.equal(again.code, 2, again.stdout + again.stderr);
    assert.doesNotMatch(again.stderr, /recorded the new host key/);
    assert.equal((await readFile(knownHosts, 'utf8')).trim().split('\n').length, 2, 'nothing added');
  });

  test('a changed host key is refused even with --accept-new-host-keys; apply starts nothing', async () => {
    const beta = lab.hosts.find((h) => h.name === 'beta')!;
    const keyFile = await hostKeyFile('beta');
    const oldFp = await fingerprint(`${keyFile}.pub`);
    await stopSshd(beta.pidFile);
    await rm(keyFile, { force: true });
    await rm(`${keyFile}.pub`, { force: true });
    await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const newFp = await fingerprint(`${keyFile}.pub`);
    assert.notEqual(newFp, oldFp);
    await new Promise<void>((resolve, reject) => {
      const p = spawn('/usr/sbin/sshd', ['-f', beta.configFile, '-E', beta.logFile], { stdio: 'ignore' });
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sshd exited ${code}`))));
    });
    await eventually(
      'beta sshd listening',
      () =>
        new Promise<void>((resolve, reject) => {
          const s = connect(beta.port, beta.address, () => (s.destroy(), resolve()));
          s.on('error', reject);
        }),
    );
    const before = await readFile(knownHosts, 'utf8');
    const esc = (s: string) => s.replace(/[+/.]/g, '\\$&');
    for (const extra of [[], ['--accept-new-host-keys']]) {
      const r = await colo(['plan', '--detailed-exitcode', ...extra]);
      assert.notEqual(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout + r.stderr,
        new RegExp(
          `HOST KEY CHANGED for beta \\(127\\.0\\.0\\.12:\\d+\\).*${esc(oldFp)}.*` +
            `now presents ssh-ed25519 ${esc(newFp)}`,
        ),
      );
      assert.doesNotMatch(r.stdout + r.stderr, /HOST KEY CHANGED for alpha/);
    }
    const a = await colo(['apply', '--accept-new-host-keys', '--auto-approve']);
    assert.equal(a.code, 1, a.stdout + a.stderr);
    assert.match(a.stdout + a.stderr, /HOST KEY CHANGED for beta/);
    assert.equal(await lab.pid('alpha'), null, 'no QEMU started on alpha');
    assert.equal(await lab.pid('beta'), null, 'no QEMU started on beta');
    assert.equal(await readFile(knownHosts, 'utf8'), before, 'the known_hosts file keeps the old key');
  });
});
