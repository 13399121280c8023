/**
 * The local lab for benchmarks: two real sshd hosts on 127.0.0.11/12, the patched QEMU and the tiny
 * guest (src/lab/lab.ts), in a fresh temp dir, always torn down (try/finally) with a check that no
 * QEMU or sshd of it is left. QMP clients for checks are opened and closed around each use: QEMU
 * serves one QMP client at a time and colo needs it between checks.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { labDown, labUp, type LabInfo } from '../../src/lab/lab.ts';
import { SSHD_BINARY, stopSshd } from '../../src/lab/sshd.ts';
import { QmpClient } from '../../src/qmp/client.ts';
import { pidRunning } from '../../src/transport/pid.ts';

export type LabHost = 'alpha' | 'beta';

/**
 * sshd_config lines of the what-if runs. sshd runs every command as `$SHELL -c CMD`; bash started
 * by sshd (SHLVL unset, stdin a socket) sources ~/.bashrc, which can be slow (on the machine these
 * benchmarks were written on, root's ~/.bashrc runs `pyenv init`). With SHLVL=1 in the session's
 * environment bash counts itself nested and skips it.
 */
export const WHAT_IF_SSHD = ['SetEnv SHLVL=1'];
export const LAB_ADDR: Record<LabHost, string> = { alpha: '127.0.0.11', beta: '127.0.0.12' };

export interface BenchLab extends LabInfo {
  /** A QMP client, closed after fn. */
  withQmp<T>(host: LabHost, fn: (c: QmpClient) => Promise<T>, vm?: string): Promise<T>;
  /** The live QEMU pid of a VM on a host, or null. */
  pid(host: LabHost, vm?: string): Promise<number | null>;
  /**
   * Restart both sshds with extra sshd_config lines (same address, port and host key, so the spec
   * stays valid). For what-if measurements only; nothing may be connected at the time.
   */
  restartSshdWith(lines: string[]): Promise<void>;
}

async function restartSshd(h: LabInfo['hosts'][number], lines: string[]): Promise<void> {
  const config = await readFile(h.configFile, 'utf8');
  const missing = lines.filter((l) => !config.split('\n').includes(l));
  // sshd takes the first value of most keywords: the new lines go first.
  if (missing.length > 0) await writeFile(h.configFile, `${missing.join('\n')}\n${config}`);
  await stopSshd(h.pidFile);
  const marker = `Server listening on ${h.address} port ${h.port}`;
  const seen = readFileSync(h.logFile, 'utf8').split(marker).length - 1;
  await new Promise<void>((resolve, reject) => {
    const p = spawn(SSHD_BINARY, ['-f', h.configFile, '-E', h.logFile], { stdio: 'ignore' });
    p.once('error', reject);
    p.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sshd for ${h.name} exited ${code} (log ${h.logFile})`)),
    );
  });
  for (let i = 0; i < 200; i++) {
    if (existsSync(h.pidFile) && readFileSync(h.logFile, 'utf8').split(marker).length - 1 > seen) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd for ${h.name} did not come back on ${h.address}:${h.port}`);
}

/** Processes whose command line mentions dir (QEMU started by the lab, sshd with its config there). */
export function processesUnder(dir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent) || Number(ent) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${ent}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmd.includes(dir) && pidRunning(Number(ent))) out.push({ pid: Number(ent), cmd: cmd.slice(0, 160) });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Runs fn with a fresh lab; always tears it down and fails if a process of it survives. */
export async function withLab<T>(
  opts: { vms?: number; checkpointMs?: number; log?: (m: string) => void },
  fn: (lab: BenchLab) => Promise<T>,
): Promise<T> {
  const base = await mkdtemp(path.join(tmpdir(), 'colo-bench-'));
  const dir = path.join(base, 'lab');
  let info: LabInfo | undefined;
  let result: T;
  let ok = false;
  try {
    info = await labUp({
      dir,
      ...(opts.vms ? { vms: opts.vms } : {}),
      ...(opts.checkpointMs ? { checkpointMs: opts.checkpointMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    const lab: BenchLab = {
      ...info,
      async withQmp(host, fn2, vm = 'web') {
        const sock = path.join(dir, 'hosts', host, vm, 'qmp.sock');
        const stream = connect(sock);
        await new Promise<void>((res, rej) => {
          stream.once('connect', () => res());
          stream.once('error', rej);
        });
        const c = await QmpClient.connect(stream, { label: `bench ${vm}@${host}` });
        try {
          return await fn2(c);
        } finally {
          await c.close();
        }
      },
      async restartSshdWith(lines) {
        for (const h of info!.hosts) await restartSshd(h, lines);
      },
      async pid(host, vm = 'web') {
        const f = path.join(dir, 'hosts', host, vm, 'qemu.pid');
        if (!existsSync(f)) return null;
        const pid = Number((await readFile(f, 'utf8')).trim());
        return pidRunning(pid) ? pid : null;
      },
    };
    result = await fn(lab);
    ok = true;
  } finally {
    if (info) await labDown(dir).catch((e: Error) => opts.log?.(`lab down: ${e.message}`));
    // labDown kills QEMU by pid file; anything else started under the dir (a QEMU whose pid file
    // was removed, an sshd child) is killed here and reported.
    const left = processesUnder(base);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await rm(base, { recursive: true, force: true });
    if (left.length > 0) opts.log?.(`WARNING: killed ${left.length} process(es) left after lab down`);
    if (left.length > 0 && ok)
      throw new Error(
        `processes of the lab survived its teardown (killed now): ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`,
      );
  }
  return result;
}
