/**
 * The network-namespace lab (`colo lab up --network netns`) for real, as root, without starting QEMU:
 * colo's SSH reaches both hosts' sshd at their 198.18 management addresses from the root namespace,
 * `lab exec` runs in the client and the hosts, alpha reaches beta over the replication network; and
 * `lab down` leaves nothing (no namespace, link, route, sshd or file), also after a crash and for
 * `--sweep`; kill-host, revive-host, cut and heal. Skipped when not root or without `ip netns`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { colo, ROOT } from '../helpers/cli.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return '`ip netns` is unavailable (install iproute2)';
  }
  if (!existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is missing (apt-get install -y openssh-server)';
  return false;
}
const skip = skipReason();

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'lab.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

const parents: string[] = [];
after(async () => {
  for (const p of parents) await rm(p, { recursive: true, force: true });
});

async function labDir(): Promise<string> {
  const parent = await mkdtemp(path.join(tmpdir(), 'colo-netns-'));
  parents.push(parent);
  return path.join(parent, 'lab');
}

async function up(dir: string): Promise<NetnsLabInfo> {
  const r = await colo(['lab', 'up', '--network', 'netns', '--dir', dir], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as NetnsLabInfo;
}

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

/** Everything of the lab with this suffix (or under this dir) still on the machine. */
function leftovers(suffix: string, dir: string): string[] {
  const left: string[] = [];
  for (const l of sh('ip', ['netns', 'list']).split('\n')) if (l.includes(suffix)) left.push(`namespace ${l}`);
  for (const l of sh('ip', ['-o', 'link', 'show']).split('\n')) if (l.includes(suffix)) left.push(`link ${l}`);
  for (const l of sh('ip', ['-o', 'link', 'show', 'type', 'bridge']).split('\n'))
    if (l.includes(suffix)) left.push(`bridge ${l}`);
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) left.push(`process ${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  if (existsSync(dir)) left.push(`directory ${dir}`);
  return left;
}

function rootRoutesOf(info: NetnsLabInfo): string[] {
  return sh('ip', ['-4', 'route', 'show'])
    .split('\n')
    .filter((l) => l.startsWith(info.subnets.management.split('/')[0] as string) || l.includes(info.rootLink.name));
}

function ssh(info: NetnsLabInfo, host: 'alpha' | 'beta', command: string): string {
  const h = info.hosts?.find((x) => x.name === host);
  assert.ok(h && info.ssh);
  return execFileSync(
    'ssh',
    [
      ...['-i', info.ssh.identityFile, '-o', `UserKnownHostsFile=${info.ssh.knownHosts}`],
      ...['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5'],
      ...['-p', String(h.ssh.port), `${info.ssh.user}@${h.ssh.address}`, command],
    ],
    { encoding: 'utf8', timeout: 15000 },
  );
}

function killSshds(info: NetnsLabInfo): void {
  for (const h of info.hosts ?? []) process.kill(Number(readFileSync(h.sshd.pidFile, 'utf8').trim()), 'SIGKILL');
}

const TCP_SERVER = (addr: string): string =>
  `require('net').createServer((s)=>s.end('hello\\n')).listen(7777,'${addr}',()=>console.log('listening'))`;
const TCP_CLIENT = (addr: string): string =>
  `require('net').connect(7777,'${addr}').on('data',(d)=>{process.stdout.write(d);process.exit(0)})` +
  `.on('error',(e)=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(2),3000)`;

describe('netns lab', { skip }, () => {
  test('up: lab.json validates; ssh reaches both hosts; exec in client and hosts; down leaves nothing', async () => {
    const dir = await labDir();
    const info = await up(dir);
    assert.equal(validate(info), true, JSON.stringify(validate.errors));
    assert.equal(info.status, 'up');
    for (const host of ['alpha', 'beta'] as const) {
      const h = info.hosts?.find((x) => x.name === host);
      const out = ssh(info, host, 'ip -4 -o addr show; ip -4 route show');
      assert.ok(out.includes(`${h?.ssh.address}/24`), out); // colo's SSH lands inside the host's namespace
      assert.ok(out.includes(`${h?.replicationAddress}/24`), out);
      assert.ok(!/^default/m.test(out), `a default route in ${host}: ${out}`);
    }
    const client = await colo(['lab', 'exec', 'client', '--dir', dir, '--', 'ip', '-4', 'addr']);
    assert.equal(client.code, 0, client.stderr);
    assert.ok(client.stdout.includes(`${info.client?.lanAddress}/24`), client.stdout);
    assert.equal((await colo(['lab', 'exec', 'alpha', '--dir', dir, '--', 'sh', '-c', 'exit 3'])).code, 3);

    const beta = info.hosts?.find((x) => x.name === 'beta');
    assert.ok(beta);
    const server = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'colo.js'),
        'lab',
        'exec',
        'beta',
        '--dir',
        dir,
        '--',
        'node',
        '-e',
        TCP_SERVER(beta.replicationAddress),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((res) => server.stdout.once('data', () => res()));
    /** A TCP connect from a lab namespace to beta's replication address (node, no ping installed). */
    const tcpFrom = (ns: string) =>
      colo(['lab', 'exec', ns, '--dir', dir, '--', 'node', '-e', TCP_CLIENT(beta.replicationAddress)]);
    const reach = await tcpFrom('alpha');
    assert.equal(reach.code, 0, reach.stderr);
    assert.equal(reach.stdout, 'hello\n');
    // The LAN and the replication network are separate: the client cannot reach beta's replication address.
    const cross = await tcpFrom('client');
    assert.notEqual(cross.code, 0);

    const down = await colo(['lab', 'down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    await new Promise((res) => (server.exitCode === null ? server.once('exit', res) : res(null)));
    assert.deepEqual(leftovers(info.suffix, dir), []);
    assert.deepEqual(rootRoutesOf(info), []);
  });

  test('kill-host powers a host off, again and again; revive-host brings its sshd back; cut and heal', async () => {
    const dir = await labDir();
    const info = await up(dir);
    const [alpha, beta] = (['alpha', 'beta'] as const).map((n) => info.hosts!.find((h) => h.name === n)!);
    const exec = (ns: string, ...argv: string[]) =>
      spawn(process.execPath, [path.join(ROOT, 'bin', 'colo.js'), 'lab', 'exec', ns, '--dir', dir, '--', ...argv], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    const pidsIn = (ns: string): string[] => sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
    const sleeper = exec('alpha', 'sleep', '600');
    for (let i = 0; i < 100 && pidsIn(alpha!.namespace).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pidsIn(alpha!.namespace).length, 2, 'sshd and the sleeper run in alpha');

    const kill = await colo(['lab', 'kill-host', 'alpha', '--dir', dir]);
    assert.equal(kill.code, 0, kill.stderr);
    assert.match(kill.stdout, /Host alpha powered off: links down, 2 process\(es\) killed in colo-\w+-alpha\./);
    assert.deepEqual(pidsIn(alpha!.namespace), []);
    assert.throws(() => ssh(info, 'alpha', 'true'), 'a dead host does not answer');
    assert.equal(ssh(info, 'beta', 'echo up'), 'up\n', 'the other host lives on');
    await new Promise((res) => (sleeper.exitCode === null ? sleeper.once('exit', res) : res(null)));
    const again = await colo(['lab', 'kill-host', 'alpha', '--dir', dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Host alpha is off: links down, nothing runs in/);

    const rev = await colo(['lab', 'revive-host', 'alpha', '--dir', dir]);
    assert.equal(rev.code, 0, rev.stderr);
    assert.match(rev.stdout, /Host alpha is back: links up, sshd started/);
    assert.equal(ssh(info, 'alpha', 'echo back'), 'back\n', 'the same pinned host key, the route back');
    assert.match((await colo(['lab', 'revive-host', 'alpha', '--dir', dir])).stdout, /its sshd already ran/);

    const server = exec('beta', 'node', '-e', TCP_SERVER(beta!.replicationAddress));
    await new Promise<void>((res) => server.stdout.once('data', () => res()));
    const tcp = () =>
      colo(['lab', 'exec', 'alpha', '--dir', dir, '--', 'node', '-e', TCP_CLIENT(beta!.replicationAddress)]);
    assert.equal((await tcp()).code, 0, 'alpha reaches beta over replication');
    const cut = await colo(['lab', 'cut', 'alpha', 'replication', '--dir', dir]);
    assert.equal(cut.code, 0, cut.stderr);
    assert.notEqual((await tcp()).code, 0, 'the cut replication link carries nothing');
    assert.equal(ssh(info, 'alpha', 'echo mgmt'), 'mgmt\n', 'the management link is not cut');
    assert.equal((await colo(['lab', 'heal', 'alpha', '--dir', dir])).code, 0);
    assert.equal((await tcp()).code, 0, 'healed');
    const bad = await colo(['lab', 'cut', 'alpha', 'power', '--dir', dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /lab cut: unknown link "power" \(expected lan or replication\)/);

    assert.equal((await colo(['lab', 'down', '--dir', dir])).code, 0);
    await new Promise((res) => (server.exitCode === null ? server.once('exit', res) : res(null)));
    assert.deepEqual(leftovers(info.suffix, dir), []);
  });

  test('a crashed lab (sshd killed, namespaces left) is cleaned by lab down', async () => {
    const dir = await labDir();
    const info = await up(dir);
    killSshds(info);
    assert.ok(sh('ip', ['netns', 'list']).includes(info.namespaces.net));
    const down = await colo(['lab', 'down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(leftovers(info.suffix, dir), []);
  });

  test('a crashed lab is cleaned by the next lab up on its directory; a running one is refused', async () => {
    const dir = await labDir();
    const first = await up(dir);
    const again = await colo(['lab', 'up', '--network', 'netns', '--dir', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a lab already exists/);
    killSshds(first);
    const second = await up(dir);
    assert.notEqual(second.suffix, first.suffix);
    assert.deepEqual(leftovers(first.suffix, path.join(dir, 'nothing')), []);
    assert.equal((await colo(['lab', 'down', '--dir', dir])).code, 0);
    assert.deepEqual(leftovers(second.suffix, dir), []);
  });

  test('lab down --sweep removes a lab whose lab.json is gone and keeps one that is owned', async () => {
    const ownedDir = await labDir();
    const owned = await up(ownedDir);
    const lostDir = await labDir();
    const lost = await up(lostDir);
    killSshds(lost);
    await rm(lostDir, { recursive: true, force: true });
    const r = await colo(['lab', 'down', '--sweep']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Swept \\d+ orphaned netns lab\\(s\\): .*${lost.suffix}`));
    assert.match(r.stdout, new RegExp(`kept .*${owned.suffix}`));
    assert.deepEqual(leftovers(lost.suffix, lostDir), []);
    assert.ok(sh('ip', ['netns', 'list']).includes(owned.namespaces.net));
    assert.equal((await colo(['lab', 'down', '--dir', ownedDir])).code, 0);
    assert.deepEqual(leftovers(owned.suffix, ownedDir), []);
  });
});
