/**
 * Failover: promote the survivor of a pair, exactly once, never two primaries.
 * 1. observe both sides; refuse a healthy pair unless forced; say so when already failed over;
 * 2. check the survivor is fit (QEMU answers, in the right COLO mode, no disabled virtio device,
 *    no guest crash on its console) and refuse an unfit one unless forced;
 * 3. fence the other side first: stop its QEMU over SSH and confirm it is gone, or run the host's
 *    fence command, or accept the operator's --i-have-fenced; otherwise refuse;
 * 4. run the QEMU-version-correct QMP sequence on the survivor, verify it runs with COLO mode none;
 * 5. record the new roles in the state.
 */
import { spawn } from 'node:child_process';
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState, VmState } from '../plan/state-model.ts';
import type { Session } from './session.ts';
import { observeAll } from './observe.ts';
import type { Observation } from '../plan/observed.ts';
import { rolesFor } from '../plan/plan-pairs.ts';
import { renderFailoverSecondary } from '../render/qmp-sequences.ts';
import { runPhases, pollUntil } from './steps/step-helpers.ts';
import { cleanupPrimaryColo } from './steps/primary-cleanup.ts';
import { stopVmQemu } from './steps/stop-qemu.ts';
import { disabledVirtioDevices } from './steps/colo-start.ts';
import { QmpError } from '../qmp/types.ts';

export type FailoverTarget = 'secondary' | 'primary';

export class FailoverRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FailoverRefused';
  }
}

export interface FailoverOptions {
  to: FailoverTarget;
  /** Hosts the operator confirms are powered off / cannot run the VM. */
  fencedByOperator: string[];
  /** Promote even a healthy pair or an unfit survivor. */
  force: boolean;
  now?: () => Date;
  /** Runs a host's fence command (argv) on this machine; resolves to the exit code. */
  runFence?: (argv: string[], timeoutMs: number) => Promise<{ code: number | null; output: string }>;
  progress?: (vm: string, message: string) => void;
}

export interface FailoverResult {
  vm: string;
  outcome: 'promoted' | 'already-failed-over';
  survivor: string;
  fenced: string;
  fencing: 'stopped-over-ssh' | 'fence-command' | 'operator' | 'not-needed';
  timings: { connectMs: number; fenceMs: number; qmpMs: number; verifyMs: number; totalMs: number };
  message: string;
}

export function runFenceCommand(argv: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim().slice(-500) });
    });
  });
}

/** Which hosts the failover of each VM promotes and fences, and whether it was done already. */
function sides(
  vm: VmSpec,
  state: ColoState | null,
  to: FailoverTarget,
): { survivor: string; loser: string; vs: VmState | undefined } {
  const roles = rolesFor(vm, state);
  return to === 'secondary'
    ? { survivor: roles.secondary, loser: roles.primary, vs: state?.vms[vm.name] }
    : { survivor: roles.primary, loser: roles.secondary, vs: state?.vms[vm.name] };
}

export async function failoverVm(
  session: Session,
  spec: Spec,
  vm: VmSpec,
  state: ColoState | null,
  obs: Observation,
  opts: FailoverOptions,
  fenceOnce: (host: string, why: string) => Promise<FailoverResult['fencing']>,
  connectMs: number,
): Promise<{ result: FailoverResult; vmState: VmState }> {
  const t0 = performance.now();
  const now = opts.now ?? (() => new Date());
  const { survivor, loser, vs } = sides(vm, state, opts.to);
  const log = (m: string) => opts.progress?.(vm.name, m);
  const sq = obs.vms[vm.name]?.qemu[survivor];
  const lq = obs.vms[vm.name]?.qemu[loser];
  const sHost = obs.hosts[survivor];
  const lHost = obs.hosts[loser];

  if (!vs) throw new FailoverRefused(`${vm.name}: colo has no record of deploying it (no state); nothing to fail over`);
  // Already failed over: the survivor runs alone and the other side is not running.
  if (
    vs.status === 'degraded' &&
    sHost?.reachable &&
    sq?.alive &&
    sq.coloMode === 'none' &&
    !(lHost?.reachable && lq?.alive)
  ) {
    const when = vs.lastFailover ? ` at ${vs.lastFailover.at}` : '';
    const runsOn = opts.to === 'primary' ? survivor : vs.primaryHost;
    return {
      result: {
        vm: vm.name,
        outcome: 'already-failed-over',
        survivor: runsOn,
        fenced: loser,
        fencing: 'not-needed',
        timings: { connectMs, fenceMs: 0, qmpMs: 0, verifyMs: 0, totalMs: 0 },
        message:
          `${vm.name} already runs alone on ${runsOn} (failed over${when}); nothing to do. Run "colo ` +
          `apply" to re-protect it.`,
      },
      vmState: vs,
    };
  }
  if (vs.status === 'degraded' && opts.to === 'secondary' && !sq?.alive) {
    throw new FailoverRefused(
      `${vm.name} is degraded: it runs on ${vs.primaryHost} with no secondary to ` +
        `promote${vs.lastFailover ? ` (last failover ${vs.lastFailover.at})` : ''}`,
    );
  }
  // Survivor fitness.
  if (!sHost?.reachable)
    throw new FailoverRefused(
      `${vm.name}: the survivor host ${survivor} is unreachable (${sHost?.error ?? 'not observed'}); cannot promote it`,
    );
  if (!sq?.alive)
    throw new FailoverRefused(`${vm.name}: no QEMU of ${vm.name} runs on ${survivor}; there is nothing to promote`);
  if (sq.qmpError)
    throw new FailoverRefused(`${vm.name}: the QEMU on ${survivor} does not answer QMP (${sq.qmpError})`);
  const healthy = lHost?.reachable && lq?.alive && !lq.qmpError && sq.coloMode !== 'none' && lq.coloMode !== 'none';
  if (healthy && !opts.force) {
    throw new FailoverRefused(
      `${vm.name}: the pair is healthy (both QEMUs run in COLO); a failover now drops its protection. Pass ` +
        `--force if you mean it (a planned switchover is: failover --force, then colo apply).`,
    );
  }
  const expectedMode = opts.to === 'secondary' ? 'secondary' : 'primary';
  const unfit: string[] = [];
  if (sq.coloMode !== expectedMode && sq.coloMode !== 'none')
    unfit.push(`its COLO mode is ${sq.coloMode}, not ${expectedMode}`);
  if (opts.to === 'secondary' && sq.coloMode === 'none')
    unfit.push('it is not in COLO (its memory may not be a consistent checkpoint)');
  for (const d of sq.virtioDisabled ?? [])
    unfit.push(`its virtio device ${d} is stuck disabled (the guest would neither send nor receive)`);
  for (const line of sq.consoleCrash ?? []) unfit.push(`its guest crashed: "${line}"`);
  for (const u of sq.healthUnknown ?? []) unfit.push(`its health is unknown (${u.query}: ${u.detail})`);
  if (unfit.length > 0 && !opts.force) {
    throw new FailoverRefused(
      `${vm.name}: the ${opts.to} on ${survivor} is not fit to take over: ${unfit.join('; ')}. Promoting it may ` +
        `lose the VM; pass --force to do it anyway.`,
    );
  }

  // Fence the other side first.
  const tFence = performance.now();
  let fencing: FailoverResult['fencing'];
  if (lHost?.reachable) {
    log(`stopping the ${opts.to === 'secondary' ? 'primary' : 'secondary'} QEMU on ${loser}`);
    await stopVmQemu(session, vm, loser, 1);
    fencing = 'stopped-over-ssh';
  } else {
    fencing = await fenceOnce(loser, lHost?.error ?? 'not observed');
  }
  const fenceMs = Math.round(performance.now() - tFence);

  // The QMP sequence on the survivor.
  const tQmp = performance.now();
  const qmp = await session.qmp(survivor, vm.name);
  if (opts.to === 'secondary') {
    log(`promoting the secondary on ${survivor}`);
    const retryable = (e: QmpError) => /loading VMstate|processing/i.test(e.desc);
    for (let attempt = 0; ; attempt++) {
      try {
        await runPhases(qmp, renderFailoverSecondary(vm), {
          // Re-running after a partial failover: what is already gone is fine.
          tolerate: (cmd, e) =>
            (cmd === 'nbd-server-stop' && /not running/i.test(e.desc)) ||
            (['object-del', 'chardev-remove'].includes(cmd) &&
              /not found|doesn't exist|does not exist|Chardev '.*' not found/i.test(e.desc)),
        });
        break;
      } catch (err) {
        if (err instanceof QmpError && retryable(err) && attempt < 50) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw err;
      }
    }
  } else {
    log(`taking the primary on ${survivor} out of COLO`);
    const r = rolesFor(vm, state);
    await cleanupPrimaryColo(qmp, vm, {
      leaveColo: true,
      resetPeerSockets: {
        spec,
        placement: {
          primary: r.primary,
          secondary: r.secondary,
          primaryPromoted: r.primaryOrigin === 'promoted-secondary',
          primaryHasProxyChardevs: true,
        },
      },
    });
  }
  const qmpMs = Math.round(performance.now() - tQmp);

  // Verify: running, COLO mode none.
  const tVerify = performance.now();
  let last = '';
  await pollUntil(
    `${vm.name} on ${survivor} to run with COLO mode none`,
    async () => {
      const [st, colo] = await qmp.executeAll<[{ status: string }, { mode: string }]>([
        { execute: 'query-status' },
        { execute: 'query-colo-status' },
      ]);
      last = `${st.status}, COLO mode ${colo.mode}`;
      return st.status === 'running' && colo.mode === 'none' ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 20, lastSeen: () => last },
  );
  const disabled = await disabledVirtioDevices(qmp, vm);
  const verifyMs = Math.round(performance.now() - tVerify);
  const totalMs = Math.round(performance.now() - t0) + connectMs;

  const record = { at: now().toISOString(), from: loser, to: survivor, durationMs: totalMs };
  const started = { ...vs.started };
  delete started[loser];
  const vmState: VmState =
    opts.to === 'secondary'
      ? {
          ...vs,
          primaryHost: survivor,
          secondaryHost: loser,
          primaryOrigin: 'promoted-secondary',
          status: 'degraded',
          lastFailover: record,
          started,
        }
      : { ...vs, status: 'degraded', lastFailover: record, started };
  const warn =
    disabled.length > 0 ? ` Warning: virtio device(s) ${disabled.join(', ')} on ${survivor} are disabled.` : '';
  return {
    result: {
      vm: vm.name,
      outcome: 'promoted',
      survivor,
      fenced: loser,
      fencing,
      timings: { connectMs, fenceMs, qmpMs, verifyMs, totalMs },
      message:
        `${vm.name} now runs alone on ${survivor} (${loser} fenced: ${fencing}) in ${totalMs} ms ` +
        `[connect ${connectMs} ms, fence ${fenceMs} ms, QMP ${qmpMs} ms, verify ${verifyMs} ms]. Run "colo ` +
        `apply" to re-protect it.${warn}`,
    },
    vmState,
  };
}

/** `list` sorted by the position of each entry's VM in `vms` (stable; VMs not in `vms` last). */
export function inVmOrder<T extends { vm: string }>(vms: Pick<VmSpec, 'name'>[], list: T[]): T[] {
  const order = new Map(vms.map((vm, i) => [vm.name, i]));
  const at = (x: T) => order.get(x.vm) ?? vms.length;
  return [...list].sort((a, b) => at(a) - at(b));
}

/** Fail over several VMs; each host is fenced at most once. Results and errors come in the order of `vms`. */
export async function failoverVms(
  session: Session,
  spec: Spec,
  vms: VmSpec[],
  state: ColoState | null,
  opts: FailoverOptions,
): Promise<{ results: FailoverResult[]; states: Record<string, VmState>; errors: { vm: string; error: Error }[] }> {
  const tConnect = performance.now();
  const obs = await observeAll(session, state);
  const connectMs = Math.round(performance.now() - tConnect);
  const fences = new Map<string, Promise<FailoverResult['fencing']>>();
  const fenceOnce = (host: string, why: string) => {
    let p = fences.get(host);
    if (!p) {
      p = (async () => {
        if (opts.fencedByOperator.includes(host)) return 'operator' as const;
        const fence = spec.hosts[host]?.fence;
        if (!fence) {
          throw new FailoverRefused(
            `cannot confirm that ${host} no longer runs the VM: it is unreachable (${why}) and has no fence ` +
              `command in the spec. Make sure it is powered off, then re-run with --i-have-fenced ${host}`,
          );
        }
        const r = await (opts.runFence ?? runFenceCommand)(fence.command, fence.timeoutMs);
        if (r.code !== 0)
          throw new FailoverRefused(
            `fencing ${host} failed: ${fence.command[0]} exited ` +
              `${r.code ?? 'without a code'}${r.output ? `: ${r.output}` : ''}. Not promoting: ${host} may ` +
              `still run the VM. If you are sure it is off, re-run with --i-have-fenced ${host}`,
          );
        return 'fence-command' as const;
      })();
      fences.set(host, p);
    }
    return p;
  };
  const results: FailoverResult[] = [];
  const states: Record<string, VmState> = {};
  const errors: { vm: string; error: Error }[] = [];
  await Promise.all(
    vms.map(async (vm) => {
      try {
        const r = await failoverVm(session, spec, vm, state, obs, opts, fenceOnce, connectMs);
        results.push(r.result);
        if (r.result.outcome === 'promoted') states[vm.name] = r.vmState;
      } catch (err) {
        errors.push({ vm: vm.name, error: err as Error });
      }
    }),
  );
  // Completion order depends on timing: report in the order of `vms` (spec order) instead.
  return { results: inVmOrder(vms, results), states, errors: inVmOrder(vms, errors) };
}
