/**
 * `colo lab isolate-host NAME` (src/lab/netns/host-faults.ts) with a recording argv runner: it sets
 * exactly the host's own three link ends down, in its namespace, and kills nothing (a process that
 * the runner reports in the namespace still runs afterwards); a lab that is not up is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isolateHost } from '../../../src/lab/netns/host-faults.ts';
import { hostLinksArgv } from '../../../src/lab/netns/host-links.ts';
import { startingInfo, upInfo } from '../../../src/lab/netns/netns-lab-info.ts';
import { buildTopology } from '../../../src/lab/netns/topology.ts';
import type { ArgvRunner } from '../../../src/lab/netns/apply-topology.ts';
import type { SshLab } from '../../../src/lab/sshd.ts';

function labDir(status: 'up' | 'starting'): { dir: string; t: ReturnType<typeof buildTopology> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'colo-isolate-'));
  const t = buildTopology('5e6f70', 7, dir, 2);
  const ssh: SshLab = {
    hosts: (['alpha', 'beta'] as const).map((name) => ({
      name,
      address: t.addresses.mgmt.hosts[name],
      port: 22,
      hostKeyPublic: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey',
      pidFile: path.join(dir, 'ssh', name, 'sshd.pid'),
      logFile: path.join(dir, 'ssh', name, 'sshd.log'),
      configFile: path.join(dir, 'ssh', name, 'sshd_config'),
      netns: t.names.ns.hosts[name],
    })),
    clientKey: path.join(dir, 'ssh', 'client_ed25519'),
    knownHosts: path.join(dir, 'ssh', 'known_hosts'),
    user: 'root',
    stop: async () => undefined,
  };
  const starting = startingInfo(dir, t, 7);
  const info =
    status === 'up'
      ? upInfo(starting, t, ssh, path.join(dir, 'colo.yaml'), {
          vms: 1,
          qemuBinary: '/q/qemu',
          fence: (h) => ['colo', 'lab', 'kill-host', h, '--dir', dir],
        })
      : starting;
  writeFileSync(path.join(dir, 'lab.json'), JSON.stringify(info));
  return { dir, t };
}

describe('colo lab isolate-host', () => {
  let child: ChildProcess;
  const dirs: string[] = [];
  before(() => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
  });
  after(() => {
    child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("sets only the host's own link ends down and leaves its processes running", async () => {
    const { dir, t } = labDir('up');
    dirs.push(dir);
    const ran: string[][] = [];
    const run: ArgvRunner = async (argv) => {
      ran.push([...argv]);
      const pids = argv[1] === 'netns' && argv[2] === 'pids' ? `${child.pid}\n` : '';
      return { code: 0, stdout: pids, stderr: '' };
    };
    const r = await isolateHost(dir, 'alpha', run);
    const ns = t.names.ns.hosts.alpha;
    assert.deepEqual(r, { host: 'alpha', namespace: ns, running: 1 });
    assert.deepEqual(ran, [...hostLinksArgv(t.names, 'alpha', 'down'), ['ip', 'netns', 'pids', ns]]);
    assert.ok(
      ran.slice(0, 3).every((a) => a.join(' ').startsWith(`ip -n ${ns} link set `) && a.at(-1) === 'down'),
      'three link-down commands in alpha only',
    );
    assert.equal(child.exitCode, null, 'the process in the namespace was not killed');
    assert.equal(child.signalCode, null);
    assert.doesNotThrow(() => process.kill(child.pid!, 0), 'it still runs');
  });

  test('a failing ip command is reported with its argv; a lab that is not up is refused', async () => {
    const up = labDir('up');
    const starting = labDir('starting');
    dirs.push(up.dir, starting.dir);
    const failing: ArgvRunner = async () => ({ code: 1, stdout: '', stderr: 'Cannot find device' });
    await assert.rejects(isolateHost(up.dir, 'beta', failing), /ip -n colo-5e6f70-beta link set .*Cannot find device/s);
    await assert.rejects(isolateHost(starting.dir, 'beta'), /is not up \(status starting\)/);
  });
});
