/**
 * Bring a pair into COLO from a running primary and a prepared secondary ("mirror start", also
 * re-protection): full disk resync over NBD, switchover (stop, cancel, replication children, proxy,
 * x-colo, migrate), then verify: migration status colo, both COLO modes, a checkpoint after the
 * first, and no secondary virtio device stuck disabled.
 */
import { renderMirrorStart, renderSwitchover } from '../../render/qmp-sequences.ts';
import { nicIds, virtioBackendPaths } from '../../render/ids.ts';
import type { QmpClient } from '../../qmp/client.ts';
import type { VmSpec } from '../../spec/types.ts';
import type { StepContext } from './run-step.ts';
import { placementOf, pollUntil, runPhases, stepVm } from './step-helpers.ts';
import { cleanupPrimaryColo } from './primary-cleanup.ts';

export async function disabledVirtioDevices(qmp: QmpClient, vm: VmSpec): Promise<string[]> {
  const paths = virtioBackendPaths(vm);
  const replies = await qmp.executeAllSettled(paths.map((path) => ({ execute: 'x-query-virtio-status', arguments: { path } })));
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
      const replies = await qmp.executeAllSettled(paths.map((path) => ({ execute: 'x-query-virtio-status', arguments: { path } })));
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
    throw new Error(`the primary of ${vm.name} has only some of its proxy chardevs (${needed.filter((c) => chardevs.has(c)).join(', ')}); stop it and re-apply`);
  }
  const p = { ...base, primaryHasProxyChardevs: hasAll };

  ctx.progress(`mirroring ${vm.disks.length} disk(s) to ${p.secondary}`);
  const tMirror = performance.now();
  await runPhases(pq, renderMirrorStart(ctx.spec, vm, p), { progress: ctx.progress, timeoutMs: 600_000 });
  const mirrorMs = Math.round(performance.now() - tMirror);

  ctx.progress(`waiting for the guest on ${p.primary} to set up its virtio devices`);
  const bootWaitMs = await waitGuestDriversReady(pq, vm, 300_000);
  if (bootWaitMs > 500) ctx.progress(`guest drivers ready after ${bootWaitMs} ms`);

  const seqBeforeStop = pq.eventSeq;
  const tStop = performance.now();
  const phaseMs: Record<string, number> = {};
  try {
    await runPhases(pq, renderSwitchover(ctx.spec, vm, p), { progress: ctx.progress, timing: (ph, ms) => (phaseMs[ph.replace('switchover-', '')] = ms) });
  } catch (err) {
    // Never leave the guest paused: undo the wiring and resume the primary, then report.
    const undo = await cleanupPrimaryColo(pq, vm, { leaveColo: true }).then(
      () => 'the primary was resumed and runs alone',
      (e: Error) => `resuming the primary failed too: ${e.message}`,
    );
    throw new Error(`switchover failed: ${(err as Error).message} (${undo})`);
  }

  let last = '';
  await pollUntil(
    `the primary's migration to reach status "colo"`,
    async () => {
      const m = await pq.execute<{ status: string; 'error-desc'?: string }>('query-migrate');
      last = m.status;
      if (m.status === 'failed' || m.status === 'cancelled') throw new Error(`COLO migration ${m.status}${m['error-desc'] ? `: ${m['error-desc']}` : ''}`);
      return m.status === 'colo' ? m : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50, lastSeen: () => last },
  );
  const stopEv = await pq.waitForEvent('STOP', undefined, { since: seqBeforeStop, timeoutMs: 10_000 });
  const resume = await pq.waitForEvent('RESUME', (e) => e.seq > stopEv.seq, { since: stopEv.seq, timeoutMs: 60_000 });
  // Both timestamps come from QEMU's clock: the pause the guest saw, independent of network delays.
  const ts = (e: typeof resume) => (e.timestamp ? e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 : NaN);
  const pauseMs = Math.round(ts(resume) - ts(stopEv)) || Math.round(performance.now() - tStop);

  const [pc, sc] = await Promise.all([pq.execute<{ mode: string }>('query-colo-status'), sq.execute<{ mode: string }>('query-colo-status')]);
  if (pc.mode !== 'primary' || sc.mode !== 'secondary') {
    throw new Error(`after migrate, COLO modes are ${pc.mode} on ${p.primary} and ${sc.mode} on ${p.secondary} (expected primary and secondary)`);
  }
  // A checkpoint after the first: each one stops and resumes the primary.
  ctx.progress('waiting for a checkpoint after the first');
  await pq.waitForEvent('RESUME', (e) => e.seq > resume.seq, { since: resume.seq, timeoutMs: vm.checkpoint.intervalMs * 3 + 30_000 });
  const disabled = await disabledVirtioDevices(sq, vm);
  if (disabled.length > 0) {
    throw new Error(`COLO runs but the secondary's virtio device(s) ${disabled.join(', ')} are stuck disabled (QEMU virtio flag bug): the secondary guest cannot use them and the service would stall. Re-run apply to re-protect.`);
  }
  await ctx.updateVm(vm.name, (prev) => (prev ? { ...prev, status: 'protected', note: undefined } : prev) as typeof prev);
  const parts = ['stop', 'wire', 'migrate'].filter((k) => phaseMs[k] !== undefined).map((k) => `${k} ${phaseMs[k]}`);
  return `in COLO; mirror ${mirrorMs} ms, switchover pause ${pauseMs} ms (${parts.join(', ')} ms; then RAM copy)`;
}
