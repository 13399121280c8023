/**
 * The netns lab runs the real cluster (issue #13 item 5): `colo lab up --network netns --cluster`,
 * corosync.conf and an authkey written to each host over SSH, fence_colo installed on each (its
 * per-host configs wrapping the lab's fence.command, `colo lab kill-host`), corosync and pacemakerd
 * started by the rendered `direct` script over SSH; a two-node cluster forms (quorate, both online,
 * seen through SSH to a host, so in that host's own namespaces); a fence_colo stonith device per host
 * and a promotable clone of ocf:pacemaker:Stateful come up; `colo lab kill-host` of the promoted
 * node: the survivor fences it through fence_colo (its fence log says so) and is promoted (times
 * printed); revive-host and the direct start: it rejoins as unpromoted; the direct stop stops both
 * daemons; `colo lab down` leaves no daemon, mount or namespace of the lab. Root and the cluster
 * packages, else skipped with the reason.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { colo } from '../helpers/cli.ts';
import { netnsSkipReason } from '../helpers/netns-pair.ts';
import { loadSpecText } from '../../src/spec/index.ts';
import { clusterLayouts } from '../../src/spec/cluster-layout.ts';
import { renderCorosyncConf } from '../../src/render/cluster/corosync-conf.ts';
import { directServicesArgv, parseDirectStatus } from '../../src/render/cluster/direct-services.ts';
import { FENCE_COLO_LOG } from '../../src/render/cluster/fence-colo.ts';
import { fenceColoTargets, installFenceColo } from '../../src/engine/cluster/install-fence-colo.ts';
import { createTransports } from '../../src/transport/factory.ts';
import { quoteArgv } from '../../src/render/shell-quote.ts';
import { missingClusterPackages } from '../../src/lab/netns/lab-cluster.ts';
import { hostRootDir } from '../../src/lab/netns/host-root.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';

type Host = 'alpha' | 'beta';
const missing = missingClusterPackages();
const SECRET = `s3cret-${randomBytes(4).toString('hex')}`;
const skip = netnsSkipReason() || (missing.length ? `the cluster packages are missing: ${missing.join(', ')}` : false);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runProc(cmd: string, args: string[], input?: string | Buffer, timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(input ?? '');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the netns lab runs corosync + Pacemaker per host', { skip, timeout: 900_000 }, () => {
  let parent = '';
  let dir = '';
  let info: NetnsLabInfo;
  let down = false;
  const pids: number[] = [];

  after(async () => {
    if (dir && !down) await colo(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  /** An argv run on a host over SSH (its sshd runs in the host's namespaces), host key checked. */
  function ssh(host: Host, argv: string[], input?: string | Buffer, timeoutMs = 90_000): Promise<Run> {
    const h = info.hosts!.find((x) => x.name === host)!;
    return runProc(
      'ssh',
      [
        '-i',
        info.ssh!.identityFile,
        '-o',
        `UserKnownHostsFile=${info.ssh!.knownHosts}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=5',
        '-p',
        String(h.ssh.port),
        `${info.ssh!.user}@${h.ssh.address}`,
        quoteArgv(argv),
      ],
      input,
      timeoutMs,
    );
  }

  async function sshOk(host: Host, argv: string[], input?: string | Buffer): Promise<string> {
    const r = await ssh(host, argv, input);
    assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  function writeOn(host: Host, file: string, mode: number, data: string | Buffer): Promise<string> {
    const script = 'umask 077; mkdir -p "$(dirname "$1")"; cat > "$1.tmp" && chmod "$2" "$1.tmp" && mv "$1.tmp" "$1"';
    return sshOk(host, ['sh', '-c', script, 'write', file, mode.toString(8)], data);
  }

  /** crm_mon's XML on a host, read from outside through its sshd's namespaces (fast: no SSH). */
  function crmMonXml(host: Host): string {
    const h = info.hosts!.find((x) => x.name === host)!;
    const pid = readFileSync(h.sshd.pidFile, 'utf8').trim();
    try {
      return execFileSync('nsenter', ['-t', pid, '-n', '-m', 'crm_mon', '-1', '--output-as=xml'], {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? '');
    }
  }

  const online = (xml: string, node: Host): boolean =>
    new RegExp(`<node name="${node}" id="\\d+" online="true"`).test(xml);
  const role = (xml: string, node: Host): string | undefined => {
    const m = new RegExp(`<resource id="st" [^>]*role="(\\w+)"[^>]*>\\s*<node name="${node}"`).exec(xml);
    return m?.[1];
  };
  const started = (xml: string, rsc: string): boolean =>
    new RegExp(`<resource id="${rsc}" [^>]*role="Started"[^>]*active="true"`).test(xml);

  async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<number> {
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      if (await ok()) return performance.now() - t0;
      await sleep(50);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }

  test('lab up --cluster writes a spec whose cluster: fits the lab', async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'colo-cluster-lab-'));
    dir = path.join(parent, 'lab');
    const up = await colo(['lab', 'up', '--network', 'netns', '--cluster', '--dir', dir], { timeoutMs: 180_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    info = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as NetnsLabInfo;
    assert.equal(info.cluster, true);
    const v = await colo(['validate', '-f', info.specFile!]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test('each host has its own /run, /dev/shm, /etc/corosync and hostname (seen over SSH)', async () => {
    for (const host of ['alpha', 'beta'] as const) {
      // the last mount on a path is the one seen there (the machine's own may lie below it)
      const top = (m: string): string => `findmnt -n -o SOURCE,FSTYPE ${m} | tail -n 1`;
      const out = await sshOk(host, ['sh', '-c', `uname -n; ${top('/run')}; ${top('/dev/shm')}`]);
      assert.deepEqual(
        out
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/).join(' ')),
        [host, 'colo-lab-run tmpfs', 'colo-lab-shm tmpfs'],
      );
      await writeOn(host, '/etc/corosync/who', 0o644, host);
      assert.equal(readFileSync(path.join(hostRootDir(dir, host), 'etc-corosync', 'who'), 'utf8'), host);
    }
    assert.equal(existsSync('/etc/corosync/who'), false, "the machine's /etc/corosync is untouched");
  });

  test('corosync + pacemakerd started by the direct script over SSH form a quorate two-node cluster', async () => {
    const text = readFileSync(info.specFile!, 'utf8');
    const spec = loadSpecText(text, info.specFile!, { defaultUser: 'root', homeDir: '/root' }).spec!;
    const c = spec.cluster!;
    const pairs = spec.vms.map((v) => ({ vm: v.name, primary: v.primary, secondary: v.secondary }));
    const layout = clusterLayouts(c.name, pairs)[0]!;
    assert.deepEqual(layout.hosts, ['alpha', 'beta']);
    const conf = renderCorosyncConf(layout, c);
    const key = randomBytes(256);
    for (const host of layout.hosts as Host[]) {
      await writeOn(host, '/etc/corosync/corosync.conf', 0o644, conf);
      await writeOn(host, '/etc/corosync/authkey', 0o400, key);
    }
    // fence_colo through colo's installer and the spec's hosts' real Transports; an env file (read as
    // the manual path reads fence.envFile) reaches the fence command but never the fence log
    const envFile = path.join(parent, 'fence.env');
    writeFileSync(envFile, `LAB_FENCE_TOKEN=${SECRET}\n`, { mode: 0o600 });
    for (const h of layout.hosts) spec.hosts[h]!.fence!.envFile = envFile;
    const targets = await fenceColoTargets(spec, layout.hosts);
    assert.deepEqual(targets[0]?.env, { LAB_FENCE_TOKEN: SECRET });
    const transports = createTransports(spec.hosts);
    try {
      for (const host of layout.hosts) assert.equal(await installFenceColo(transports.get(host), host, targets), 3);
    } finally {
      await transports.close();
    }
    assert.match(await sshOk('alpha', ['fence_colo', '-o', 'list']), /^beta$/m);
    const t0 = performance.now();
    const starts = await Promise.all((['alpha', 'beta'] as const).map((h) => ssh(h, directServicesArgv('start'))));
    for (const r of starts) assert.equal(r.code, 0, r.stdout + r.stderr);
    const startMs = performance.now() - t0;
    const formed = await until('both nodes online', 60_000, () => {
      const x = crmMonXml('alpha');
      return online(x, 'alpha') && online(x, 'beta');
    });
    const q = await sshOk('beta', ['corosync-quorumtool', '-s']);
    assert.match(q, /Quorate:\s+Yes/);
    assert.match(q, /Total votes:\s+2/);
    assert.match(q, /Flags:.*2Node.*Quorate/);
    const mon = await sshOk('alpha', ['crm_mon', '-1']);
    assert.match(mon, /Online: \[ alpha beta \]/);
    for (const h of ['alpha', 'beta'] as const) {
      const s = parseDirectStatus(await sshOk(h, directServicesArgv('status')));
      assert.equal(s.corosync.state, 'running');
      assert.equal(s.pacemakerd.state, 'running');
      pids.push(s.corosync.pid!, s.pacemakerd.pid!);
    }
    // a second start changes nothing
    assert.match(await sshOk('alpha', directServicesArgv('start')), /corosync=running already/);
    process.stdout.write(
      `# cluster: direct start ${startMs.toFixed(0)} ms (both hosts), ` +
        `both online ${(startMs + formed).toFixed(0)} ms\n`,
    );
  });

  test('fence_colo stonith devices and a promotable Stateful clone come up', async () => {
    const cib = [
      'property stonith-enabled=true stonith-timeout=30s priority-fencing-delay=1s',
      'rsc_defaults resource-stickiness=1',
      ...(['alpha', 'beta'] as const).flatMap((h) => [
        `primitive fence-${h} stonith:fence_colo params pcmk_host_list=${h} op monitor interval=30s`,
        `location l-fence-${h} fence-${h} -inf: ${h}`,
      ]),
      'primitive st ocf:pacemaker:Stateful op monitor interval=2s role=Promoted timeout=10s ' +
        'op monitor interval=3s role=Unpromoted timeout=10s meta priority=10',
      'clone st-clone st meta promotable=true promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1',
      '',
    ].join('\n');
    await writeOn('alpha', '/run/colo-test.crm', 0o600, cib);
    await sshOk('alpha', ['crm', '-F', 'configure', 'load', 'update', '/run/colo-test.crm']);
    const ms = await until('one Promoted, one Unpromoted, both fence devices started', 60_000, () => {
      const x = crmMonXml('beta');
      const roles = [role(x, 'alpha'), role(x, 'beta')].sort();
      return (
        roles[0] === 'Promoted' && roles[1] === 'Unpromoted' && started(x, 'fence-alpha') && started(x, 'fence-beta')
      );
    });
    process.stdout.write(`# cluster: configured to promoted in ${ms.toFixed(0)} ms\n`);
  });

  test('kill-host of the promoted node: the survivor fences it (fence_colo), is promoted; it rejoins', async () => {
    const x0 = crmMonXml('alpha');
    const victim: Host = role(x0, 'alpha') === 'Promoted' ? 'alpha' : 'beta';
    const survivor: Host = victim === 'alpha' ? 'beta' : 'alpha';
    const fenceLog = path.join(hostRootDir(dir, survivor), 'log-cluster', path.basename(FENCE_COLO_LOG));
    const t0 = performance.now();
    const kill = colo(['lab', 'kill-host', victim, '--dir', dir], { timeoutMs: 60_000 });
    let lost = NaN;
    let promoted = NaN;
    let fenced = NaN;
    await until(`${survivor} promoted after fencing ${victim}`, 60_000, () => {
      const x = crmMonXml(survivor);
      const now = performance.now() - t0;
      if (Number.isNaN(lost) && x.includes(`<node name="${victim}"`) && !online(x, victim)) lost = now;
      if (Number.isNaN(promoted) && role(x, survivor) === 'Promoted') promoted = now;
      const log = existsSync(fenceLog) ? readFileSync(fenceLog, 'utf8') : '';
      if (Number.isNaN(fenced) && new RegExp(`(reboot|off) ${victim}: done`).test(log)) fenced = now;
      return !Number.isNaN(promoted) && !Number.isNaN(fenced);
    });
    const k = await kill;
    assert.equal(k.code, 0, k.stdout + k.stderr);
    const log = readFileSync(fenceLog, 'utf8');
    assert.match(log, new RegExp(`(reboot|off) ${victim}: running its fence command`));
    assert.ok(!log.includes(SECRET), 'the fence log holds no env value');
    const hist = await sshOk(survivor, ['stonith_admin', '--history', victim]);
    assert.match(hist, /successful/);
    // where the time went: the fence agent's log and the survivor's fencing/promotion lines
    const pcmk = path.join(hostRootDir(dir, survivor), 'log-pacemaker', 'pacemaker.log');
    const lines = readFileSync(pcmk, 'utf8')
      .split('\n')
      .filter((l) =>
        /Requesting fencing|Delaying|Operation '(reboot|off)'|(Result of|Initiating) promote|state is now lost/.test(l),
      )
      .slice(-14);
    process.stdout.write(
      `# fence_colo log:\n${log.replace(/^/gm, '#   ')}\n# pacemaker:\n${lines.map((l) => `#   ${l}`).join('\n')}\n`,
    );
    process.stdout.write(
      `# failover: kill-host ${victim} (promoted) -> node lost ${lost.toFixed(0)} ms, fenced by fence_colo ` +
        `${fenced.toFixed(0)} ms, ${survivor} Promoted ${promoted.toFixed(0)} ms ` +
        `(kill-host itself ${k.ms.toFixed(0)} ms)\n`,
    );

    const r0 = performance.now();
    const rev = await colo(['lab', 'revive-host', victim, '--dir', dir], { timeoutMs: 60_000 });
    assert.equal(rev.code, 0, rev.stdout + rev.stderr);
    await sshOk(victim, directServicesArgv('start'));
    const back = await until(`${victim} rejoined as Unpromoted`, 90_000, () => {
      const x = crmMonXml(survivor);
      return online(x, victim) && role(x, victim) === 'Unpromoted' && role(x, survivor) === 'Promoted';
    });
    const s = parseDirectStatus(await sshOk(victim, directServicesArgv('status')));
    pids.push(s.corosync.pid!, s.pacemakerd.pid!);
    process.stdout.write(
      `# rejoin: revive-host + direct start -> Unpromoted in ${(performance.now() - r0).toFixed(0)} ms\n`,
    );
    assert.ok(back >= 0);

    const stop = await sshOk(victim, directServicesArgv('stop'));
    assert.match(stop, /pacemakerd=stopped/);
    assert.match(stop, /corosync=stopped/);
    const after = parseDirectStatus(await sshOk(victim, directServicesArgv('status')));
    assert.equal(after.corosync.state, 'stopped');
    assert.equal(after.pacemakerd.state, 'stopped');
    assert.equal(role(crmMonXml(survivor), survivor), 'Promoted');
  });

  test('lab down leaves no cluster daemon, mount or namespace', async () => {
    const suffix = info.suffix;
    const r = await colo(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    down = true;
    assert.ok(pids.length >= 4);
    // a killed daemon may stay a zombie for a moment until init reaps it: that is not running
    const running = (pid: number): boolean => {
      try {
        return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    await until('the daemons gone', 5000, () => !pids.some(running)).catch(() => undefined);
    for (const pid of pids) assert.equal(running(pid), false, `pid ${pid} still runs`);
    const mounts: string[] = [];
    for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        if (readFileSync(`/proc/${p}/mountinfo`, 'utf8').includes(dir)) mounts.push(p);
      } catch {
        /* gone */
      }
    }
    assert.deepEqual(mounts, [], 'no process has a mount of the lab directory');
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), new RegExp(suffix));
    assert.equal(existsSync(dir), false);
  });
});
