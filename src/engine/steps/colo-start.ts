/**
 * Bring a pair into COLO from a running primary and a prepared secondary ("mirror start", also
 * re-protection): full disk resync over NBD (write-blocking mirror), live switchover (replication
 * children, proxy, x-colo, migrate while the guest runs; QEMU pauses it only for the last copy), the
 * mirrors ended once COLO runs, then verify: migration status colo, both COLO modes, a checkpoint after the
 * first, and no secondary virtio device stuck disabled.
 */
import { renderMirrorStart, renderResyncFinish, renderSwitchover } from '../../render/qmp-sequences.ts';
import { diskIds, nicIds, virtioBackendPaths } from '../../render/ids.ts';
import type { QmpClient } from '../../qmp/client.ts';
import type { VmSpec } from '../../spec/types.ts';
import type { StepContext } from './run-step.ts';
import { appliedCheckpointOf, placementOf, pollUntil, runPhases, stepVm } from './step-helpers.ts';
import { cleanupPrimaryColo } from './primary-cleanup.ts';

export async function disabledVirtioDevices(qmp: QmpClient, vm: VmSpec): Promise<string[]> {
  const paths = virtioBackendPaths(vm);
  const replies = await qmp.executeAllSettled(
    paths.map((path) => ({ execute: 'x-query-virtio-status', arguments: { path } })),
  );
  return paths.filter((_, i) => {
    const r = replies[i];
    return r?.ok && (r.value as { disabled?: boolean }).disabled === true;
  });
}

/** True when x-query-virtio-status says the guest driver finished setting the device up. */
export function driverReady(status: unknown): boolean {
  const st = (status as { status?: unknown })?.status;
  if (typeof st === 'number') return (st & 4) !== 0; // VIRTIO_CONFIG_S_DRIVER_OK
  const list = (st as { statuses?: unknown })?.statuses;
  return Array.isArray(list) && list.some((x) => typeof x === 'string' && x.startsWith('VIRTIO_CONFIG_S_DRIVER_OK'));
}

/**
 * Waits until the guest's drivers have set up every virtio device of the primary (DRIVER_OK, not
 * disabled): COLO must not start while the guest boots, or QEMU 7.2's virtio `disabled` flag can
 * stick on the secondary and its NIC stays dead.
 */
export async function waitGuestDriversReady(qmp: QmpClient, vm: VmSpec, timeoutMs: number): Promise<number> {
  const paths = virtioBackendPaths(vm);
  if (paths.length === 0) return 0;
  const t0 = performance.now();
  let pending: string[] = paths;
  await pollUntil(
    `the guest to set up its virtio device(s) (it boots before COLO starts)`,
    async () => {
      const replies = await qmp.executeAllSettled(
        paths.map((path) => ({ execute: 'x-query-virtio-status', arguments: { path } })),
      );
      pending = paths.filter((_, i) => {
        const r = replies[i];
        if (!r?.ok) return false; // device without status (not virtio here): nothing to wait for
        return !driverReady(r.value) || (r.value as { disabled?: boolean }).disabled === true;
      });
      return pending.length === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 250, lastSeen: () => `not ready: ${pending.join(', ')}` },
  );
  return Math.round(performance.now() - t0);
}

/**
 * How long the live RAM copy may take before colo gives up: 2 minutes plus the whole RAM three
 * times over at the slower of max-bandwidth and 100 MiB/s (a 128 MiB guest: ~124 s; 16 GiB: ~10 min).
 */
export function liveCopyTimeoutMs(vm: VmSpec): number {
  const ramBytes = vm.machine.memoryMiB * 1024 * 1024;
  const rate = Math.min(vm.checkpoint.maxBandwidthBytes, 100 * 1024 * 1024);
  return 120_000 + Math.ceil(((3 * ramBytes) / rate) * 1000);
}

interface BlockJobInfo {
  device: string;
  status?: string;
  ready?: boolean;
  offset: number;
  len: number;
  error?: string;
}

/**
 * Once COLO runs, every resync mirror must still be READY with nothing left to copy: the
 * secondary's disk then held every write up to the switchover. A job that failed or fell behind
 * means it may not, and COLO must not be trusted (the caller leaves it).
 */
export async function mirrorsInStep(qmp: QmpClient, vm: VmSpec, timeoutMs = 3000): Promise<void> {
  const wanted = vm.disks.map((d) => diskIds(d).mirrorJob);
  let behind: string[] = [];
  await pollUntil(
    'the resync mirrors to be in step with the primary',
    async () => {
      const jobs = await qmp.execute<BlockJobInfo[]>('query-block-jobs');
      behind = [];
      for (const id of wanted) {
        const j = jobs.find((x) => x.device === id);
        if (!j) throw new Error(`the resync mirror ${id} is gone: the secondary's disk may have missed writes`);
        if (j.error || (j.status !== undefined && j.status !== 'ready' && j.status !== 'running')) {
          throw new Error(
            `the resync mirror ${id} is ${j.status ?? 'not ready'}${j.error ? ` (${j.error})` : ''}: the ` +
              `secondary's disk may have missed writes`,
          );
        }
        if (j.ready === false || j.offset !== j.len) behind.push(`${id} ${j.len - j.offset} bytes behind`);
      }
      return behind.length === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 50, lastSeen: () => behind.join(', ') },
  );
}

export async function coloStart(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const base = placementOf(ctx, vm);
  const pq = await ctx.session.qmp(base.primary, vm.name);
  const sq = await ctx.session.qmp(base.secondary, vm.name);

  // Leftovers of an interrupted earlier attempt would make the sequence fail: clear them first.
  const pre = await cleanupPrimaryColo(pq, vm, { leaveColo: true });
  if (pre.removed.length > 0) ctx.progress(`cleared leftovers of an earlier attempt: ${pre.removed.join(', ')}`);

  const chardevs = new Set((await pq.execute<{ label: string }[]>('query-chardev')).map((c) => c.label));
  const needed = vm.netdevs.flatMap((n) => {
    const ids = nicIds(n);
    return [ids.mirror, ids.compareIn, ids.primaryIn, ids.primaryInClient, ids.compareOut, ids.compareOutClient];
  });
  const hasAll = needed.every((c) => chardevs.has(c));
  if (!hasAll && needed.some((c) => chardevs.has(c))) {
    throw new Error(
      `the primary of ${vm.name} has only some of its proxy chardevs ` +
        `(${needed.filter((c) => chardevs.has(c)).join(', ')}); stop it and re-apply`,
    );
  }
  const p = { ...base, primaryHasProxyChardevs: hasAll };

  ctx.progress(`mirroring ${vm.disks.length} disk(s) to ${p.secondary}`);
  const tMirror = performance.now();
  await runPhases(pq, renderMirrorStart(ctx.spec, vm, p), { progress: ctx.progress, timeoutMs: 600_000 });
  const mirrorMs = Math.round(performance.now() - tMirror);

  ctx.progress(`waiting for the guest on ${p.primary} to set up its virtio devices`);
  const bootWaitMs = await waitGuestDriversReady(pq, vm, 300_000);
  if (bootWaitMs > 500) ctx.progress(`guest drivers ready after ${bootWaitMs} ms`);

  const seqBeforeSwitchover = pq.eventSeq;
  const tSwitchover = performance.now();
  const phaseMs: Record<string, number> = {};
  let last = '';
  try {
    await runPhases(pq, renderSwitchover(ctx.spec, vm, p), {
      progress: ctx.progress,
      timing: (ph, ms) => (phaseMs[ph.replace('switchover-', '')] = ms),
    });
    ctx.progress('copying the RAM while the guest runs');
    await pollUntil(
      `the primary's migration to reach status "colo" (the guest dirties RAM faster than it can be copied ` +
        `within checkpoint.switchoverDowntime ${vm.checkpoint.switchoverDowntimeMs} ms? raise it, or ` +
        `checkpoint.maxBandwidth)`,
      async () => {
        const m = await pq.execute<{ status: string; 'error-desc'?: string }>('query-migrate');
        last = m.status;
        if (m.status === 'failed' || m.status === 'cancelled')
          throw new Error(`COLO migration ${m.status}${m['error-desc'] ? `: ${m['error-desc']}` : ''}`);
        return m.status === 'colo' ? m : undefined;
      },
      { timeoutMs: liveCopyTimeoutMs(vm), intervalMs: 50, lastSeen: () => last },
    );
    await mirrorsInStep(pq, vm);
  } catch (err) {
    // Never leave a half-wired primary: stop the migration, undo the wiring, make sure the guest
    // runs, then report.
    const undo = await (async () => {
      if (last !== 'colo') await pq.execute('migrate_cancel').catch(() => undefined);
      await cleanupPrimaryColo(pq, vm, { leaveColo: true });
    })().then(
      () => 'the primary was left running alone',
      (e: Error) => `cleaning up the primary failed too: ${e.message}`,
    );
    throw new Error(`switchover failed: ${(err as Error).message} (${undo})`);
  }
  const liveMs = Math.round(performance.now() - tSwitchover);
  const stopEv = await pq.waitForEvent('STOP', undefined, { since: seqBeforeSwitchover, timeoutMs: 10_000 });
  const resume = await pq.waitForEvent('RESUME', (e) => e.seq > stopEv.seq, { since: stopEv.seq, timeoutMs: 60_000 });
  // Both timestamps come from QEMU's clock: the pause the guest saw, independent of network delays.
  const ts = (e: typeof resume) => (e.timestamp ? e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 : NaN);
  const pauseMs = Math.round(ts(resume) - ts(stopEv));

  // Replication carries the writes now: end the resync mirrors.
  await runPhases(pq, renderResyncFinish(vm), { progress: ctx.progress, timeoutMs: 60_000 });

  const [pc, sc] = await Promise.all([
    pq.execute<{ mode: string }>('query-colo-status'),
    sq.execute<{ mode: string }>('query-colo-status'),
  ]);
  if (pc.mode !== 'primary' || sc.mode !== 'secondary') {
    throw new Error(
      `after migrate, COLO modes are ${pc.mode} on ${p.primary} and ${sc.mode} on ${p.secondary} (expected ` +
        `primary and secondary)`,
    );
  }
  // A checkpoint after the first: each one stops and resumes the primary.
  ctx.progress('waiting for a checkpoint after the first');
  await pq.waitForEvent('RESUME', (e) => e.seq > resume.seq, {
    since: resume.seq,
    timeoutMs: vm.checkpoint.intervalMs * 3 + 30_000,
  });
  const disabled = await disabledVirtioDevices(sq, vm);
  if (disabled.length > 0) {
    throw new Error(
      `COLO runs but the secondary's virtio device(s) ${disabled.join(', ')} are stuck disabled (QEMU virtio ` +
        `flag bug): the secondary guest cannot use them and the service would stall. Re-run apply to re-protect.`,
    );
  }
  await ctx.updateVm(
    vm.name,
    (prev) =>
      (prev
        ? { ...prev, status: 'protected', note: undefined, appliedCheckpoint: appliedCheckpointOf(vm) }
        : prev) as typeof prev,
  );
  return (
    `in COLO; mirror ${mirrorMs} ms, live RAM copy ${liveMs} ms (wiring ${phaseMs['wire'] ?? '?'} ms), ` +
    `switchover pause ${Number.isFinite(pauseMs) ? pauseMs : '?'} ms`
  );
}
