/**
 * The netns lab with its pair in COLO and a client holding the guest's stream, for the e2e tests that
 * take hosts down (test/e2e/stream-failover.test.ts, test/e2e/links-down.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { colo } from './cli.ts';
import { LanClient } from './lan-client.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';

/** Why the netns lab cannot run here (not root, no `ip netns`), or false. */
export function netnsSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return '`ip netns` is unavailable (install iproute2)';
  }
  return false;
}

/** The pid in a QEMU pid file of the lab if that process runs (not a zombie), else null. */
export function labQemuPid(dir: string, host: 'alpha' | 'beta'): number | null {
  const f = path.join(dir, 'hosts', host, 'web', 'qemu.pid');
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return /^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) ? null : pid;
  } catch {
    return null;
  }
}

export interface NetnsPair {
  /** The temp directory holding the lab (remove it after `colo lab down`). */
  parent: string;
  dir: string;
  info: NetnsLabInfo;
  spec: string;
  client: LanClient;
  /** The guest's boot id, from the stream's first line. */
  boot: string;
}

/** `colo lab up --network netns`, `colo apply` into COLO, and a client with 20 lines of the stream. */
export async function startNetnsPair(prefix: string): Promise<NetnsPair> {
  const parent = await mkdtemp(path.join(tmpdir(), prefix));
  const dir = path.join(parent, 'lab');
  const up = await colo(['lab', 'up', '--network', 'netns', '--dir', dir], { timeoutMs: 120_000 });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const info = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as NetnsLabInfo;
  const spec = info.specFile!;
  const apply = await colo(['apply', '-f', spec, '--auto-approve']);
  assert.equal(apply.code, 0, apply.stdout + apply.stderr);
  const g = info.guests![0]!;
  const client = new LanClient(info.client!.namespace, g.lanAddress, g.streamPort, g.httpPort, 200);
  await client.moreLines(20, 60_000);
  return { parent, dir, info, spec, client, boot: client.lines[0]!.boot };
}
