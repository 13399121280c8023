/**
 * The hand-written baseline for bench/apply.bench.ts: the steps `colo apply` takes to bring one
 * pair from nothing into COLO, issued directly on this machine, with none of colo's machinery
 * (no SSH, no observation, no plan, no state file, no lock, no progress UI).
 *
 * Same QEMU argv (rendered by src/render for QEMU 7.2 and the spec's placement), same QMP
 * sequences (src/render/recipes/), sent over node:net unix sockets by a minimal client,
 * and the same waits as the colo-start recipe (src/render/recipes/colo-start.ts):
 *   primary started running -> query-block (disk size) -> qemu-img create base/hidden/active ->
 *   secondary started (-incoming) + secondary-prepare (NBD server/exports) -> mirror, wait
 *   BLOCK_JOB_READY -> wait until the guest's drivers set up every virtio device (DRIVER_OK, not
 *   disabled; polled every 250 ms) -> live switchover (x-colo, migration parameters, replication,
 *   proxy, migrate; the guest runs) -> poll query-migrate every 50 ms until "colo" -> STOP/RESUME
 *   pause -> cancel the mirrors (wait BLOCK_JOB_COMPLETED), delete their NBD nodes -> both
 *   query-colo-status -> wait for the next RESUME
 *   (a checkpoint after the first) -> secondary virtio devices not disabled.
 * Rendering happens before the clock starts (it is pure and takes a few ms).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import type { Spec, VmSpec } from '../src/spec/types.ts';
import {
  dialectForVersion,
  diskIds,
  initialPlacement,
  renderImagePrep,
  renderMirrorStart,
  renderPrimaryArgv,
  renderSecondaryArgv,
  renderSecondaryPrepare,
  renderResyncFinish,
  renderSwitchover,
  vmPaths,
  type QmpPhase,
} from '../src/render/index.ts';
import { virtioBackendPaths } from '../src/render/ids.ts';
import { pidRunning } from '../src/transport/pid.ts';
import { MiniQmp, type MiniEvent } from './lib/mini-qmp.ts';

const execFileP = promisify(execFile);

export interface HandRendering {
  primaryArgv: string[];
  secondaryArgv: string[];
  imagePrep: (sizes: Record<string, number>) => string[][];
  secondaryPrepare: QmpPhase[];
  mirrorStart: QmpPhase[];
  switchover: QmpPhase[];
  resyncFinish: QmpPhase[];
  virtioPaths: string[];
  /** Disk id -> the quorum's device name in query-block. */
  quorumDevices: Record<string, string>;
  primary: ReturnType<typeof vmPaths>;
  secondary: ReturnType<typeof vmPaths>;
}

/** Everything the script sends, rendered up front (QEMU 7.2, TCG, the spec's initial placement). */
export function renderForHand(spec: Spec, vm: VmSpec): HandRendering {
  const p = initialPlacement(vm);
  const o = { dialect: dialectForVersion({ major: 7, minor: 2, micro: 0 }), kvmAvailable: false };
  return {
    primaryArgv: renderPrimaryArgv(spec, vm, p, o),
    secondaryArgv: renderSecondaryArgv(spec, vm, p, o),
    imagePrep: (sizes) => renderImagePrep(spec, vm, p.secondary, sizes),
    secondaryPrepare: renderSecondaryPrepare(spec, vm, p, o.dialect),
    mirrorStart: renderMirrorStart(spec, vm, p),
    switchover: renderSwitchover(spec, vm, p),
    resyncFinish: renderResyncFinish(vm),
    virtioPaths: virtioBackendPaths(vm),
    quorumDevices: Object.fromEntries(vm.disks.map((d) => [d.id, diskIds(d).quorum])),
    primary: vmPaths(spec, vm, p.primary),
    secondary: vmPaths(spec, vm, p.secondary),
  };
}

export interface HandTimings {
  primaryStartMs: number;
  imagesMs: number;
  secondaryStartMs: number;
  mirrorMs: number;
  driversWaitMs: number;
  /** From the first switchover command until query-migrate says colo, then the mirrors ended. */
  switchoverMs: number;
  /** Until the RESUME of the checkpoint after the first, plus the virtio check. */
  checkpointWaitMs: number;
  totalMs: number;
  /** STOP to RESUME by QEMU's timestamps (what colo reports as "switchover pause"). */
  pauseMs: number;
  /**
   * Pieces of the pause, wall clock on this side: each switchover phase (commands + its wait), then migrate acked ->
   * RESUME arrived.
   */
  pausePhasesMs: Record<string, number>;
  /** Diagnostic runs only (see HandOptions.diagnose): where the pause went, by QEMU's clock. */
  anatomy?: PauseAnatomy;
}

export interface HandOptions {
  /**
   * Diagnostic run, not used for the comparison: turn on the `events` migration capability on both
   * QEMUs before the switchover (outside the pause) so MIGRATION status changes arrive with QEMU
   * timestamps, and poll query-migrate every 10 ms during the migration for its RAM statistics.
   */
  diagnose?: boolean;
}

export interface PauseAnatomy {
  /** Milestones in ms after the primary's STOP (QEMU clocks; both QEMUs run on this machine). */
  milestones: { at: number; what: string }[];
  /** The last query-migrate sample while the RAM copy was active (ram statistics). */
  lastActive?: unknown;
  /** CPU used from just before `stop` until the primary's RESUME arrived: per QEMU, and the whole machine. */
  cpu?: { windowMs: number; primaryMs: number; secondaryMs: number; machineBusyPct: number; cpus: number };
}

/** utime+stime of a pid in ms (USER_HZ 100). */
function pidCpuMs(pid: number): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat "cpu" line). */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startQemu(argv: string[], paths: HandRendering['primary']): Promise<{ pid: number; qmp: MiniQmp }> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await rm(paths.qmpSocket, { force: true });
  await rm(paths.pidFile, { force: true });
  await execFileP(argv[0]!, argv.slice(1)); // -daemonize: returns once QEMU is up
  const pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
  for (let i = 0; ; i++) {
    try {
      return { pid, qmp: await MiniQmp.open(paths.qmpSocket) };
    } catch (e) {
      if (i > 100) throw e;
      await sleep(20);
    }
  }
}

async function runPhases(q: MiniQmp, phases: QmpPhase[], onPhase?: (name: string, ms: number) => void): Promise<void> {
  for (const ph of phases) {
    const t = performance.now();
    const from = q.events.length;
    // colo sends a phase marked `pipelined` in one write (one round trip), others one by one.
    if ((ph as { pipelined?: boolean }).pipelined) await q.pipeline(ph.commands);
    else for (const c of ph.commands) await q.cmd(c.execute, c.arguments);
    if (ph.waitFor) {
      const accepted =
        ph.waitFor.event === 'BLOCK_JOB_COMPLETED'
          ? ['BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED']
          : [ph.waitFor.event];
      for (const job of ph.waitFor.jobIds) {
        await Promise.any(accepted.map((ev) => q.waitEvent(ev, from, (e) => e.data?.device === job)));
      }
    }
    onPhase?.(ph.name, performance.now() - t);
  }
}

function driverOk(v: unknown): boolean {
  const st = (v as { status?: unknown }).status;
  if (typeof st === 'number') return (st & 4) !== 0;
  const list = (st as { statuses?: unknown } | undefined)?.statuses;
  return Array.isArray(list) && list.some((x) => typeof x === 'string' && x.startsWith('VIRTIO_CONFIG_S_DRIVER_OK'));
}

export interface HandRun {
  timings: HandTimings;
  pids: { primary: number; secondary: number };
}

/** Brings the pair into COLO; on error the caller cleans up with `handCleanup` (pids from the pid files). */
export async function handApply(
  r: HandRendering,
  checkpointIntervalMs: number,
  opts: HandOptions = {},
): Promise<HandRun> {
  const t0 = performance.now();
  let t = t0;
  const lap = () => {
    const now = performance.now();
    const d = Math.round(now - t);
    t = now;
    return d;
  };
  const opened: MiniQmp[] = [];
  try {
    // 1. primary, running alone (the guest boots now)
    const prim = await startQemu(r.primaryArgv, r.primary);
    opened.push(prim.qmp);
    const pq = prim.qmp;
    const st = await pq.cmd<{ status: string }>('query-status');
    if (st.status !== 'running') throw new Error(`primary is ${st.status}`);
    const primaryStartMs = lap();

    // 2. secondary images of the primary disk's virtual size
    const blocks =
      await pq.cmd<{ device?: string; inserted?: { image?: { 'virtual-size'?: number } } }[]>('query-block');
    const sizes: Record<string, number> = {};
    for (const [id, device] of Object.entries(r.quorumDevices)) {
      const size = blocks.find((b) => b.device === device)?.inserted?.image?.['virtual-size'];
      if (typeof size !== 'number') throw new Error(`no virtual size for ${device} in query-block`);
      sizes[id] = size;
    }
    for (const argv of r.imagePrep(sizes)) await execFileP(argv[0]!, argv.slice(1));
    const imagesMs = lap();

    // 3. secondary waiting for the migration, NBD exports
    const sec = await startQemu(r.secondaryArgv, r.secondary);
    opened.push(sec.qmp);
    const sq = sec.qmp;
    await runPhases(sq, r.secondaryPrepare);
    const secondaryStartMs = lap();

    // 4. full disk resync over NBD until every job is READY
    await runPhases(pq, r.mirrorStart);
    const mirrorMs = lap();

    // 5. the guest must have set up its virtio devices before COLO starts
    for (;;) {
      let pending = 0;
      for (const path of r.virtioPaths) {
        try {
          const v = await pq.cmd<{ disabled?: boolean }>('x-query-virtio-status', { path });
          if (!driverOk(v) || v.disabled === true) pending++;
        } catch {
          /* no status: nothing to wait for */
        }
      }
      if (pending === 0) break;
      await sleep(250);
    }
    const driversWaitMs = lap();

    // 6. switchover
    if (opts.diagnose) {
      const ev = { capabilities: [{ capability: 'events', state: true }] };
      await pq.cmd('migrate-set-capabilities', ev);
      await sq.cmd('migrate-set-capabilities', ev);
    }
    const beforeStop = pq.events.length;
    const secBefore = sq.events.length;
    const cpu0 = opts.diagnose
      ? { t: performance.now(), p: pidCpuMs(prim.pid), s: pidCpuMs(sec.pid), m: machineJiffies() }
      : undefined;
    const pausePhasesMs: Record<string, number> = {};
    await runPhases(pq, r.switchover, (name, ms) => (pausePhasesMs[name] = Math.round(ms)));
    const tMigrateAcked = performance.now();
    let lastActive: unknown;
    for (;;) {
      const m = await pq.cmd<{ status: string; 'error-desc'?: string }>('query-migrate');
      if (m.status === 'failed' || m.status === 'cancelled')
        throw new Error(`COLO migration ${m.status}: ${m['error-desc'] ?? ''}`);
      if (m.status === 'colo') break;
      if (m.status === 'active') lastActive = m;
      await sleep(opts.diagnose ? 10 : 50);
    }
    const stop = await pq.waitEvent('STOP', beforeStop, undefined, 10_000);
    const resume = await pq.waitEvent('RESUME', stop.index + 1, undefined, 60_000);
    const cpu1 = opts.diagnose
      ? { t: performance.now(), p: pidCpuMs(prim.pid), s: pidCpuMs(sec.pid), m: machineJiffies() }
      : undefined;
    pausePhasesMs['migrate acked -> RESUME'] = Math.round(resume.arrivedMs - tMigrateAcked);
    await runPhases(pq, r.resyncFinish);
    const switchoverMs = lap();
    const [pc, sc] = [
      await pq.cmd<{ mode: string }>('query-colo-status'),
      await sq.cmd<{ mode: string }>('query-colo-status'),
    ];
    if (pc.mode !== 'primary' || sc.mode !== 'secondary') throw new Error(`COLO modes ${pc.mode}/${sc.mode}`);

    // 7. a checkpoint after the first, then the secondary's virtio flags
    await pq.waitEvent('RESUME', resume.index + 1, undefined, checkpointIntervalMs * 3 + 30_000);
    for (const path of r.virtioPaths) {
      const v = await sq.cmd<{ disabled?: boolean }>('x-query-virtio-status', { path });
      if (v.disabled === true) throw new Error(`secondary virtio device ${path} is disabled`);
    }
    const checkpointWaitMs = lap();
    const totalMs = Math.round(performance.now() - t0);
    const pauseMs = Math.round(resume.qemuMs - stop.qemuMs); // QEMU's clock, as colo reports it
    let anatomy: PauseAnatomy | undefined;
    if (opts.diagnose) {
      const rel = (ms: number) => Math.round((ms - stop.qemuMs) * 10) / 10;
      const pick = (q: MiniQmp, from: number, side: string) =>
        q.events
          .filter((e) => e.index >= from && e.qemuMs <= resume.qemuMs + 5000)
          .map((e) => ({
            at: rel(e.qemuMs),
            what: `${side} ${e.event}${eventDetail(e)}`,
          }));
      const milestones = [...pick(pq, beforeStop, 'primary'), ...pick(sq, secBefore, 'secondary')].sort(
        (a, b) => a.at - b.at,
      );
      anatomy = { milestones, ...(lastActive ? { lastActive } : {}) };
      if (cpu0 && cpu1) {
        anatomy.cpu = {
          windowMs: Math.round(cpu1.t - cpu0.t),
          primaryMs: cpu1.p - cpu0.p,
          secondaryMs: cpu1.s - cpu0.s,
          machineBusyPct: Math.round(((cpu1.m.busy - cpu0.m.busy) / Math.max(1, cpu1.m.total - cpu0.m.total)) * 100),
          cpus: os.cpus().length,
        };
      }
    }
    return {
      timings: {
        primaryStartMs,
        imagesMs,
        secondaryStartMs,
        mirrorMs,
        driversWaitMs,
        switchoverMs,
        checkpointWaitMs,
        totalMs,
        pauseMs,
        pausePhasesMs,
        ...(anatomy ? { anatomy } : {}),
      },
      pids: { primary: prim.pid, secondary: sec.pid },
    };
  } finally {
    for (const q of opened) q.close();
  }
}

/** Kills both QEMUs (by their pid files) and removes the VM dirs, so the next apply starts from nothing. */
export async function handCleanup(r: HandRendering): Promise<void> {
  for (const paths of [r.primary, r.secondary]) {
    let pid = 0;
    try {
      pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
    } catch {
      /* never started */
    }
    if (pid > 0) {
      try {
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.includes(paths.pidFile)) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && pidRunning(pid); i++) await sleep(20);
    }
    await rm(paths.dir, { recursive: true, force: true });
    for (const d of paths.disks) if (d.dir !== paths.dir) await rm(d.dir, { recursive: true, force: true });
  }
}

/** What a milestone line adds to an event's name: a migration's status, a block job's device. */
function eventDetail(e: MiniEvent): string {
  if (e.event === 'MIGRATION') return ` ${String(e.data?.status)}`;
  return e.event.startsWith('BLOCK_JOB') ? ` ${String(e.data?.device)}` : '';
}
