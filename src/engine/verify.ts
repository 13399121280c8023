/**
 * `colo verify`: an end-to-end check of deployed pairs for CI smoke deployments. Per VM: both sides
 * in COLO, checkpoints advancing, no secondary virtio device disabled, no crash on the secondary's
 * console, and the guest reachable through the primary (its TCP host forwards, probed through
 * src/transport/tcp-probe.ts). Every failed check is named.
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { Observation, ObservedHost, ObservedQemu } from '../plan/observed.ts';
import type { Session } from './session.ts';
import { observeAll } from './observe.ts';
import { rolesFor } from '../plan/plan-pairs.ts';
import { probeService } from '../transport/tcp-probe.ts';
import { tlsCheck } from './verify-tls.ts';
import type { Advice } from '../plan/checkpoint-advice.ts';
import { figuresByVm } from '../plan/checkpoint-figures.ts';
import { pairStatuses } from '../plan/pair-status.ts';
import { sampleCheckpoints } from './checkpoint-sample.ts';

export type ProbeKind = 'http' | 'tcp' | 'none';

export interface VerifyCheck {
  name: 'colo' | 'checkpoints' | 'virtio' | 'console' | 'tls' | 'service';
  ok: boolean;
  detail: string;
}

export interface VmVerification {
  vm: string;
  ok: boolean;
  primary: string;
  secondary: string;
  checks: VerifyCheck[];
  ms: number;
  /** What to tune, from the checkpoints sampled during the check (a storm, long pauses). */
  advice: Advice[];
}

type Roles = ReturnType<typeof rolesFor>;

/** The first non-empty line of an answer's body (after the HTTP header, when there is one). */
function firstBodyLine(answer: string): string {
  const body = answer.includes('\r\n\r\n')
    ? answer.slice(answer.indexOf('\r\n\r\n') + 4)
    : answer.includes('\n\n')
      ? answer.slice(answer.indexOf('\n\n') + 2)
      : answer;
  return (
    body
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? ''
  );
}

async function probeWithRetry(
  address: string,
  port: number,
  kind: Exclude<ProbeKind, 'none'>,
  budgetMs: number,
): Promise<{ ok: boolean; detail: string }> {
  const end = Date.now() + budgetMs;
  let last = '';
  let tries = 0;
  while (Date.now() < end) {
    tries++;
    const t0 = performance.now();
    try {
      const first = firstBodyLine(
        await probeService(address, port, kind, Math.min(5000, Math.max(1000, end - Date.now()))),
      );
      return {
        ok: true,
        detail:
          `${address}:${port} answered in ${Math.round(performance.now() - t0)} ` +
          `ms${first ? `: ${first.slice(0, 80)}` : ''}`,
      };
    } catch (e) {
      last = (e as Error).message;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return {
    ok: false,
    detail: `${address}:${port} did not answer (${tries} tries in ${Math.round(budgetMs / 1000)} s): ${last}`,
  };
}

export interface VerifyOptions {
  probe: ProbeKind;
  /** How long to wait for a checkpoint; default 2 x the interval + 5 s. */
  checkpointWaitMs?: number;
  /** Budget for the service probe; default 15 s (a request may wait for a checkpoint). */
  probeBudgetMs?: number;
  /** Only check the service on the primary (a degraded pair, e.g. in a drill after failover). */
  serviceOnly?: boolean;
  /** verifyVms: how long to sample the checkpoints of each pair for advice (0 or absent: no sample). */
  sampleMs?: number;
}

/**
 * How long verify waits for a checkpoint: 2 x the interval + 5 s, at most 120 s. The interval is the
 * spec's, or the running one when that is shorter: a pair whose x-checkpoint-delay was raised
 * outside colo does not checkpoint as the spec says, so verify must not wait for it at that rate.
 */
export function checkpointWaitMs(observedIntervalMs: number | undefined, specIntervalMs: number): number {
  const interval = Math.min(observedIntervalMs ?? specIntervalMs, specIntervalMs);
  return Math.min(interval * 2 + 5000, 120_000);
}

/** Both sides in COLO, from the observation. */
function coloCheck(
  vm: VmSpec,
  roles: Roles,
  side: { pHost?: ObservedHost; sHost?: ObservedHost; pq?: ObservedQemu; sq?: ObservedQemu },
): VerifyCheck {
  const { pHost, sHost, pq, sq } = side;
  const problems: string[] = [];
  if (!pHost?.reachable) problems.push(`primary host ${roles.primary} unreachable: ${pHost?.error}`);
  else if (!pq?.alive) problems.push(`no primary QEMU on ${roles.primary}`);
  else if (pq.qmpError) problems.push(`primary QMP does not answer: ${pq.qmpError}`);
  else if (pq.coloMode !== 'primary' || pq.migrateStatus !== 'colo')
    problems.push(`primary on ${roles.primary} is not in COLO (mode ${pq.coloMode}, migration ${pq.migrateStatus})`);
  if (!sHost?.reachable) problems.push(`secondary host ${roles.secondary} unreachable: ${sHost?.error}`);
  else if (!sq?.alive) problems.push(`the secondary is down: no QEMU of ${vm.name} runs on ${roles.secondary}`);
  else if (sq.qmpError) problems.push(`secondary QMP does not answer: ${sq.qmpError}`);
  else if (sq.coloMode !== 'secondary')
    problems.push(`secondary on ${roles.secondary} is not in COLO (mode ${sq.coloMode})`);
  // A status query that failed: unknown, so not OK.
  for (const [name, host, q] of [
    ['primary', roles.primary, pq],
    ['secondary', roles.secondary, sq],
  ] as const)
    for (const u of q?.healthUnknown ?? [])
      if (u.query !== 'x-query-virtio-status')
        problems.push(`the health of the ${name} on ${host} is unknown (${u.query}: ${u.detail})`);
  return {
    name: 'colo',
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${roles.primary} primary, ${roles.secondary} secondary, migration colo`
        : problems.join('; '),
  };
}

/** Checkpoints advancing: each one stops and resumes the primary, so wait for a STOP and its RESUME. */
async function checkpointCheck(
  session: Session,
  vm: VmSpec,
  roles: Roles,
  pq: ObservedQemu | undefined,
  opts: VerifyOptions,
): Promise<VerifyCheck> {
  if (!pq?.alive || pq.qmpError || pq.coloMode !== 'primary')
    return { name: 'checkpoints', ok: false, detail: 'not in COLO: no checkpoints' };
  const delay = pq.migrateParams?.['x-checkpoint-delay'];
  const observed = typeof delay === 'number' ? delay : undefined;
  const interval = observed ?? vm.checkpoint.intervalMs;
  const wait = opts.checkpointWaitMs ?? checkpointWaitMs(observed, vm.checkpoint.intervalMs);
  const offSpec =
    observed !== undefined && observed !== vm.checkpoint.intervalMs
      ? `; the spec says ${vm.checkpoint.intervalMs} ms`
      : '';
  const qmp = await session.qmp(roles.primary, vm.name);
  const since = qmp.eventSeq;
  const tw = performance.now();
  try {
    const stop = await qmp.waitForEvent('STOP', undefined, { since, timeoutMs: wait });
    await qmp.waitForEvent('RESUME', (e) => e.seq > stop.seq, { since: stop.seq, timeoutMs: wait });
    return {
      name: 'checkpoints',
      ok: true,
      detail:
        `a checkpoint completed ${Math.round(performance.now() - tw)} ms into the check (interval ` + `${interval} ms)`,
    };
  } catch {
    return {
      name: 'checkpoints',
      ok: false,
      detail:
        `the checkpoint counter stopped: no checkpoint within ${Math.round(wait / 1000)} s ` +
        `(x-checkpoint-delay ${interval} ms${offSpec})`,
    };
  }
}

/** No secondary virtio device stuck disabled, no crash on the secondary's console. */
function secondaryChecks(sq: ObservedQemu | undefined): VerifyCheck[] {
  const disabled = sq?.virtioDisabled ?? [];
  const unknown = (sq?.healthUnknown ?? []).filter((u) => u.query === 'x-query-virtio-status').map((u) => u.detail);
  const crash = sq?.consoleCrash ?? [];
  const virtioProblems = [
    ...(disabled.length > 0 ? [`secondary virtio device(s) stuck disabled: ${disabled.join(', ')}`] : []),
    ...(unknown.length > 0 ? [`virtio status unknown on the secondary: ${unknown.join('; ')}`] : []),
  ];
  return [
    {
      name: 'virtio',
      ok: virtioProblems.length === 0,
      detail: virtioProblems.join('; ') || 'no secondary virtio device disabled',
    },
    {
      name: 'console',
      ok: crash.length === 0,
      detail: crash.length === 0 ? 'no crash on the secondary console' : `the secondary guest crashed: ${crash[0]}`,
    },
  ];
}

/** The guest answering on each TCP host forward of the primary. */
async function serviceChecks(
  spec: Spec,
  vm: VmSpec,
  roles: Roles,
  kind: Exclude<ProbeKind, 'none'>,
  budgetMs: number,
): Promise<VerifyCheck[]> {
  const host = spec.hosts[roles.primary]!;
  const targets = vm.netdevs.flatMap((n) =>
    n.backend.kind === 'user'
      ? n.backend.hostForwards
          .filter((f) => f.protocol === 'tcp')
          .map((f) => ({ address: f.hostAddress ?? host.replicationAddress, port: f.hostPort }))
      : [],
  );
  if (targets.length === 0)
    return [{ name: 'service', ok: true, detail: 'no TCP host forward to probe (tap/bridge networking): skipped' }];
  const checks: VerifyCheck[] = [];
  for (const t of targets) {
    const r = await probeWithRetry(t.address, t.port, kind, budgetMs);
    checks.push({ name: 'service', ok: r.ok, detail: r.detail });
  }
  return checks;
}

export async function verifyVm(
  session: Session,
  spec: Spec,
  vm: VmSpec,
  state: ColoState | null,
  obs: Observation,
  opts: VerifyOptions,
): Promise<VmVerification> {
  const t0 = performance.now();
  const roles = rolesFor(vm, state);
  const checks: VerifyCheck[] = [];
  const pq = obs.vms[vm.name]?.qemu[roles.primary];
  const sq = obs.vms[vm.name]?.qemu[roles.secondary];
  if (!opts.serviceOnly) {
    const side = { pHost: obs.hosts[roles.primary], sHost: obs.hosts[roles.secondary], pq, sq };
    checks.push(coloCheck(vm, roles, side));
    checks.push(await checkpointCheck(session, vm, roles, pq, opts));
    checks.push(...secondaryChecks(sq));
    checks.push({ name: 'tls', ...(await tlsCheck(session, spec, vm, roles, obs)) });
  }
  if (opts.probe !== 'none')
    checks.push(...(await serviceChecks(spec, vm, roles, opts.probe, opts.probeBudgetMs ?? 15_000)));
  return {
    vm: vm.name,
    ok: checks.every((c) => c.ok),
    primary: roles.primary,
    secondary: roles.secondary,
    checks,
    ms: Math.round(performance.now() - t0),
    advice: [],
  };
}

export async function verifyVms(
  session: Session,
  spec: Spec,
  vms: VmSpec[],
  state: ColoState | null,
  opts: VerifyOptions,
): Promise<VmVerification[]> {
  const obs = await observeAll(session, state);
  const sampling = opts.sampleMs ? sampleCheckpoints(session, state, obs, { windowMs: opts.sampleMs }) : null;
  const list = await Promise.all(vms.map((vm) => verifyVm(session, spec, vm, state, obs, opts)));
  if (!sampling) return list;
  const statuses = pairStatuses(spec, state, obs, figuresByVm(await sampling));
  return list.map((v) => ({ ...v, advice: statuses.find((p) => p.vm === v.vm)?.advice ?? [] }));
}
