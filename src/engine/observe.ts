/**
 * Observation (refresh): the actual state of every host and VM, read over SSH and QMP by the
 * observe recipes (src/render/recipes/observe.ts): per host ONE remote script, then one pipelined
 * QMP batch per live QEMU. Round trips grow with hosts, not with resources. The replies are read
 * by src/plan/observe-replies.ts.
 */
import type { VmSpec } from '../spec/types.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { Observation, ObservedQemu, ObservedVm } from '../plan/observed.ts';
import type { Session } from './session.ts';
import { vmPaths } from '../render/paths.ts';
import { qmpObserveBatch, renderHostObserve, renderObserveQmp } from '../render/recipes/observe.ts';
import {
  parseHostReport,
  qemuFromFacts,
  qemuFromHostReport,
  observedHosts,
  vmsOnHost,
  type HostReport,
} from '../plan/observe-replies.ts';
import { probeBinaryVersion } from '../qmp/probe.ts';
import { QmpTimeoutError } from '../qmp/types.ts';
import { runQmpRecipe } from './run-recipe.ts';
import { runScriptRecipe } from './run-recipe-script.ts';
import { HostLockError } from './host-lock.ts';

export type { HostReport } from '../plan/observe-replies.ts';

export interface ObserveOptions {
  /** Per-host timeout for the SSH part (connection and script), ms; `hostTimeoutFor` picks one per host. */
  timeoutMs?: number;
  hostTimeoutFor?: (host: string) => number | undefined;
  /**
   * The health deadline, ms: a live QEMU whose QMP greeting and first answer do not come within it
   * counts as hung (default 10 s). `qmpDeadlineFor` picks one per VM and host (undefined: the default).
   */
  qmpDeadlineMs?: number;
  qmpDeadlineFor?: (vm: string, host: string) => number | undefined;
  /** Open the QMP connections with out-of-band commands (failover yanks on them later). */
  oob?: boolean;
}

export async function observeHost(
  session: Session,
  state: ColoState | null,
  hostName: string,
  opts: ObserveOptions = {},
): Promise<HostReport> {
  const spec = session.spec;
  const names = vmsOnHost(spec, state, hostName);
  try {
    const recipe = renderHostObserve(
      spec,
      hostName,
      names,
      opts.hostTimeoutFor?.(hostName) ?? opts.timeoutMs ?? 20_000,
    );
    const res = await runScriptRecipe(session.transport(hostName), recipe);
    if (res.code !== 0) throw new Error(`observation script exited ${res.code}: ${res.stderr.trim().slice(0, 300)}`);
    return parseHostReport(hostName, res.stdout, probeBinaryVersion);
  } catch (err) {
    // Another colo holds the host: that is no host down (fencing it would be wrong); the command stops.
    if (err instanceof HostLockError) throw err;
    return {
      host: {
        name: hostName,
        reachable: false,
        error: (err as Error).message,
        errorKind: (err as Error).name,
        workDirExists: false,
      },
      vms: {},
    };
  }
}

export async function observeQemu(
  session: Session,
  vm: VmSpec,
  hostName: string,
  found: HostReport['vms'][string] | undefined,
  opts: ObserveOptions = {},
): Promise<ObservedQemu> {
  const base = qemuFromHostReport(hostName, vmPaths(session.spec, vm, hostName).pidFile, found);
  if (!base.alive) return base;
  const deadlineMs = opts.qmpDeadlineFor?.(vm.name, hostName) ?? opts.qmpDeadlineMs ?? 10_000;
  try {
    const client = await session.qmp(hostName, vm.name, { timeoutMs: deadlineMs, oob: opts.oob === true });
    const r = await runQmpRecipe(renderObserveQmp(vm, hostName), { either: client });
    return qemuFromFacts(base, vm, qmpObserveBatch(vm), r.facts, r.queryErrors);
  } catch (err) {
    if (err instanceof HostLockError) throw err;
    // Alive, yet no greeting or first answer in time: hung (stopped, or stuck on a lost peer), not down.
    const hung = err instanceof QmpTimeoutError ? { hung: { deadlineMs } } : {};
    return { ...base, qmpError: (err as Error).message, ...hung };
  }
}

export async function observeAll(
  session: Session,
  state: ColoState | null,
  opts: ObserveOptions = {},
): Promise<Observation> {
  const t0 = performance.now();
  const spec = session.spec;
  const hostNames = observedHosts(spec, state);
  const reports = new Map<string, HostReport>();
  await Promise.all([...hostNames].map(async (h) => reports.set(h, await observeHost(session, state, h, opts))));
  const vms: Record<string, ObservedVm> = {};
  await Promise.all(
    spec.vms.map(async (vm) => {
      const qemu: Record<string, ObservedQemu> = {};
      await Promise.all(
        [vm.primary, vm.secondary].map(async (h) => {
          const r = reports.get(h);
          if (!r?.host.reachable) return;
          qemu[h] = await observeQemu(session, vm, h, r.vms[vm.name], opts);
        }),
      );
      vms[vm.name] = { name: vm.name, qemu };
    }),
  );
  // VMs only the state knows: process facts only (no spec to derive QMP ids from).
  for (const [name, vs] of Object.entries(state?.vms ?? {})) {
    if (vms[name]) continue;
    const qemu: Record<string, ObservedQemu> = {};
    for (const h of [vs.primaryHost, vs.secondaryHost]) {
      const found = reports.get(h)?.vms[name];
      if (found) qemu[h] = { host: h, alive: found.alive, ...(found.pid !== undefined ? { pid: found.pid } : {}) };
    }
    vms[name] = { name, qemu };
  }
  const hosts: Observation['hosts'] = {};
  for (const [h, r] of reports) hosts[h] = r.host;
  return { hosts, vms, tookMs: Math.round(performance.now() - t0) };
}
