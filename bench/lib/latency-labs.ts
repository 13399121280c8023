/**
 * The two labs the latency benchmarks compare, behind one interface: the network-namespace lab
 * (`colo lab up --network netns`: hosts in namespaces, the guest on a bridged LAN with one address, a
 * client namespace) and the loopback lab (two sshd on 127.0.0.11/12, `-netdev user` with a forwarded
 * port per host). What differs: where the client runs, where the guest answers after a failover (the
 * same LAN address / the survivor's own forwarded port), and what a host kill can be (the whole
 * namespace / only the QEMU).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { GUEST_STREAM_PORT } from '../../src/lab/guest-services.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';
import { QmpClient } from '../../src/qmp/client.ts';
import { LanClient } from '../../test/helpers/lan-client.ts';
import { labQemuPid, netnsSkipReason } from '../../test/helpers/netns-pair.ts';
import { StreamWatch, type StreamLine } from '../../test/helpers/stream.ts';
import { colo, expectCode } from './cli.ts';
import { httpLoad, type LoadFigures } from './http-load.ts';
import { processesUnder, withLab, type LabHost } from './lab.ts';

export interface StreamView {
  /** Lines so far, `atMs` in epoch ms. */
  readonly lines: readonly StreamLine[];
  ended(): string | undefined;
  close(): Promise<void>;
}

export interface BenchPairLab {
  kind: 'netns' | 'loopback';
  spec: string;
  /** One long-lived connection to the guest's stream through `host` (the netns lab: the LAN address). */
  openStream(host: LabHost): Promise<StreamView>;
  /** GETs of the guest's HTTP service from the client, through `host`'s address (netns: the LAN address). */
  load(host: LabHost, count: number, concurrency: number, urlPath?: string): Promise<LoadFigures>;
  /** netns: `colo lab kill-host` (every process of the host, its links down); loopback: kill -9 of its QEMU. */
  killHost(host: LabHost): Promise<void>;
  /** netns: `colo lab revive-host`; loopback: nothing (the host never died). */
  reviveHost(host: LabHost): Promise<void>;
  /** kill -9 of only the QEMU on a host. */
  killQemu(host: LabHost): Promise<void>;
  /** A QMP client of the QEMU on a host (QEMU serves one at a time: close it before colo runs). */
  qmp(host: LabHost): Promise<QmpClient>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function qmpAt(sock: string, label: string): Promise<QmpClient> {
  const stream = connect(sock);
  await new Promise<void>((res, rej) => {
    stream.once('connect', () => res());
    stream.once('error', rej);
  });
  return QmpClient.connect(stream, { label });
}

async function killPid(pid: number | null, what: string): Promise<void> {
  if (!pid) throw new Error(`no ${what} running`);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
      if (/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return;
    } catch {
      return;
    }
    await sleep(10);
  }
}

export function netnsSkip(): string | false {
  return netnsSkipReason();
}

/** `colo lab up --network netns`, fn, `colo lab down` (always), and a check that nothing is left. */
export async function withNetnsLab<T>(log: (m: string) => void, fn: (lab: BenchPairLab) => Promise<T>): Promise<T> {
  const parent = await mkdtemp(path.join(tmpdir(), 'colo-bench-netns-'));
  const dir = path.join(parent, 'lab');
  let up = false;
  try {
    expectCode(
      await colo(['lab', 'up', '--network', 'netns', '--dir', dir], { timeoutMs: 180_000 }),
      'colo lab up --network netns',
    );
    up = true;
    const info = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as NetnsLabInfo;
    const g = info.guests![0]!;
    const ns = info.client!.namespace;
    const lab: BenchPairLab = {
      kind: 'netns',
      spec: info.specFile!,
      async openStream() {
        const c = new LanClient(ns, g.lanAddress, g.streamPort, g.httpPort, 3_600_000);
        await c.moreLines(5, 60_000);
        return { lines: c.lines, ended: () => c.ended, close: () => c.stop() };
      },
      load: (_host, count, concurrency, urlPath) =>
        httpLoad({ namespace: ns, address: g.lanAddress, port: g.httpPort, count, concurrency, path: urlPath ?? '/' }),
      async killHost(host) {
        expectCode(await colo(['lab', 'kill-host', host, '--dir', dir]), `colo lab kill-host ${host}`);
      },
      async reviveHost(host) {
        expectCode(await colo(['lab', 'revive-host', host, '--dir', dir]), `colo lab revive-host ${host}`);
      },
      killQemu: (host) => killPid(labQemuPid(dir, host), `QEMU on ${host}`),
      qmp: (host) => qmpAt(path.join(dir, 'hosts', host, 'web', 'qmp.sock'), `bench web@${host}`),
    };
    return await fn(lab);
  } finally {
    if (up) {
      const r = await colo(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
      if (r.code !== 0) log(`colo lab down: ${r.stdout}${r.stderr}`);
    }
    const left = processesUnder(parent);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (left.length > 0) log(`WARNING: killed ${left.length} process(es) of the netns lab left after lab down`);
    await rm(parent, { recursive: true, force: true });
  }
}

/** The loopback lab (bench/lib/lab.ts) with the guest's stream forwarded on both hosts like its HTTP port. */
export async function withLoopbackLab<T>(log: (m: string) => void, fn: (lab: BenchPairLab) => Promise<T>): Promise<T> {
  return withLab({ log }, async (lab) => {
    const vm = lab.vms[0]!;
    const streamPort = vm.servicePort + 1000;
    const doc = parseDocument(await readFile(lab.specFile, 'utf8'));
    const fwd = doc.getIn(['vms', vm.name, 'netdevs', 0, 'hostForwards']) as { add(v: unknown): void };
    fwd.add(doc.createNode({ protocol: 'tcp', hostPort: streamPort, guestPort: GUEST_STREAM_PORT }));
    await writeFile(lab.specFile, doc.toString({ lineWidth: 0 }));
    const addr = (h: LabHost) => lab.hosts.find((x) => x.name === h)!.address;
    return fn({
      kind: 'loopback',
      spec: lab.specFile,
      async openStream(host) {
        const w = await StreamWatch.open(addr(host), streamPort, 5000);
        await w.waitForLines(5, 60_000);
        // StreamWatch stamps lines with performance.now(); the views speak epoch ms like LanClient.
        return {
          get lines() {
            return w.lines.map((l) => ({ ...l, atMs: l.atMs + performance.timeOrigin }));
          },
          ended: () => w.ended,
          close: async () => w.close(),
        };
      },
      load: (host, count, concurrency, urlPath) =>
        httpLoad({ address: addr(host), port: vm.servicePort, count, concurrency, path: urlPath ?? '/' }),
      killHost: async (host) => killPid(await lab.pid(host), `QEMU on ${host}`),
      reviveHost: async () => {},
      killQemu: async (host) => killPid(await lab.pid(host), `QEMU on ${host}`),
      qmp: (host) => qmpAt(path.join(lab.dir, 'hosts', host, 'web', 'qmp.sock'), `bench web@${host}`),
    });
  });
}

/** Whether `ip netns` works here (for the notes). */
export function ipNetnsWorks(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
