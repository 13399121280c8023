/**
 * `colo status` as data: per VM its hosts and roles, COLO modes, migration status, checkpoint
 * settings, health (protected / degraded / down) and the last failover. Pure: from spec, state and
 * an observation.
 */
import type { Spec } from '../spec/types.ts';
import { failoverCount, type ColoState } from './state-model.ts';
import type { Observation, ObservedQemu } from './observed.ts';
import { rolesFor } from './plan-pairs.ts';
import { channelSecurity, type ChannelSecurity } from './channel-security.ts';
import type { CheckpointFigures } from './checkpoint-figures.ts';
import { checkpointAdvice, type Advice } from './checkpoint-advice.ts';

export type PairHealth = 'protected' | 'degraded' | 'down' | 'not-deployed' | 'unknown';

export interface PairStatus {
  vm: string;
  health: PairHealth;
  /** Why the health is what it is, in plain words. */
  summary: string;
  primary: SideStatus;
  secondary: SideStatus;
  checkpoint: { intervalMs: number | null; compareTimeoutMs: number | null };
  /** What colo measured of the checkpoints (src/plan/checkpoint-figures.ts); null when not in COLO or not sampled. */
  figures: CheckpointFigures | null;
  /** What to tune, from the figures (src/plan/checkpoint-advice.ts). */
  advice: Advice[];
  lastFailover: { at: string; from: string; to: string; durationMs: number } | null;
  /** The spec asks for TLS on the pair's replication channels. */
  tls: boolean;
  /** Each replication channel, tls or plain as observed; empty when no QEMU of the pair runs. */
  channels: ChannelSecurity[];
  /** Failovers colo recorded for this VM. */
  failovers: number;
}

export interface SideStatus {
  host: string;
  reachable: boolean;
  running: boolean;
  pid: number | null;
  runStatus: string | null;
  coloMode: string | null;
  coloReason: string | null;
  migrateStatus: string | null;
  /** Its QEMU runs but gave no QMP answer within the health deadline (stopped, or stuck on a lost peer). */
  hung: boolean;
  /** Its QEMU process is stopped (SIGSTOP): /proc state T. */
  stopped: boolean;
}

/** "hung (pid N runs but gave no QMP answer within D ms; its process is stopped)". */
export function hungText(s: SideStatus, deadlineMs: number | undefined): string {
  const within = deadlineMs !== undefined ? ` within ${deadlineMs} ms` : '';
  const stopped = s.stopped ? '; its process is stopped' : '; or another QMP client holds its monitor';
  return `hung (pid ${s.pid ?? '?'} runs but gave no QMP answer${within}${stopped})`;
}

/** A hung primary: down (its guest does not run); a hung secondary: degraded (the primary waits on it). */
function hungHealth(
  vm: string,
  roles: { primary: string; secondary: string },
  { p, s }: { p: SideStatus; s: SideStatus },
  qemu: Record<string, ObservedQemu>,
): { health: PairHealth; summary: string } | undefined {
  const deadline = (host: string) => qemu[host]?.hung?.deadlineMs;
  if (p.running && p.hung) {
    const hint = s.running && !s.hung ? `; colo failover ${vm} --to secondary promotes ${roles.secondary}` : '';
    return {
      health: 'down',
      summary:
        `the primary QEMU on ${roles.primary} is ${hungText(p, deadline(roles.primary))}: its guest is not ` +
        `known to run${hint}`,
    };
  }
  if (p.running && s.running && s.hung)
    return {
      health: 'degraded',
      summary:
        `the secondary QEMU on ${roles.secondary} is ${hungText(s, deadline(roles.secondary))}: the primary ` +
        `waits on it; colo failover ${vm} --to primary lets ${roles.primary} run alone`,
    };
  return undefined;
}

function sideStatus(obs: Observation, vm: string, host: string): SideStatus {
  const h = obs.hosts[host];
  const q = obs.vms[vm]?.qemu[host];
  return {
    host,
    reachable: !!h?.reachable,
    running: !!q?.alive,
    pid: q?.pid ?? null,
    runStatus: q?.runStatus ?? null,
    coloMode: q?.coloMode ?? null,
    coloReason: q?.coloReason ?? null,
    migrateStatus: q?.migrateStatus ?? null,
    hung: !!q?.alive && !!q.hung,
    stopped: !!q?.alive && !!q.stopped,
  };
}

export function pairStatuses(
  spec: Spec,
  state: ColoState | null,
  obs: Observation,
  figures: Record<string, CheckpointFigures> = {},
): PairStatus[] {
  return spec.vms.map((vm) => {
    const roles = rolesFor(vm, state);
    const side = (host: string) => sideStatus(obs, vm.name, host);
    const p = side(roles.primary);
    const s = side(roles.secondary);
    const pq = obs.vms[vm.name]?.qemu[roles.primary];
    const unknown = [roles.primary, roles.secondary].flatMap((h) =>
      (obs.vms[vm.name]?.qemu[h]?.healthUnknown ?? []).map((u) => `health unknown on ${h}: ${u.query}: ${u.detail}`),
    );
    const hung = hungHealth(vm.name, roles, { p, s }, obs.vms[vm.name]?.qemu ?? {});
    let health: PairHealth;
    let summary: string;
    if (hung) {
      ({ health, summary } = hung);
    } else if (unknown.length > 0 && p.running) {
      health = 'unknown';
      summary = unknown.join('; ');
    } else if (!p.reachable) {
      health = 'unknown';
      summary = `primary host ${roles.primary} is unreachable`;
    } else if (!p.running) {
      health = s.running ? 'down' : state?.vms[vm.name] ? 'down' : 'not-deployed';
      summary =
        health === 'not-deployed'
          ? 'not deployed (run colo apply)'
          : s.running
            ? `primary QEMU gone; the secondary on ${roles.secondary} holds the VM (colo failover ${vm.name} ` +
              `--to secondary)`
            : 'both QEMUs are gone';
    } else if (p.coloMode === 'primary' && p.migrateStatus === 'colo' && s.running && s.coloMode === 'secondary') {
      health = 'protected';
      summary = `in COLO: ${roles.primary} primary, ${roles.secondary} secondary`;
    } else {
      health = 'degraded';
      summary =
        p.coloMode === 'primary'
          ? `primary still in COLO but its secondary is ` +
            `${s.reachable ? (s.running ? `in mode ${s.coloMode}` : 'gone') : 'unreachable'}`
          : `running unprotected on ${roles.primary} (colo apply re-protects it)`;
    }
    const params = pq?.migrateParams ?? {};
    const comp = Object.values(pq?.compareProps ?? {})[0];
    const lf = state?.vms[vm.name]?.lastFailover;
    const checkpoint = {
      intervalMs: typeof params['x-checkpoint-delay'] === 'number' ? (params['x-checkpoint-delay'] as number) : null,
      compareTimeoutMs: typeof comp?.compare_timeout === 'number' ? comp.compare_timeout : null,
    };
    const f = health === 'protected' ? (figures[vm.name] ?? null) : null;
    return {
      vm: vm.name,
      health,
      summary,
      primary: p,
      secondary: s,
      checkpoint,
      figures: f,
      advice: checkpointAdvice(vm.name, f, checkpoint),
      lastFailover: lf ? { at: lf.at, from: lf.from, to: lf.to, durationMs: lf.durationMs } : null,
      tls: vm.tls === true,
      channels: p.running && s.running ? channelSecurity(vm, pq, obs.vms[vm.name]?.qemu[roles.secondary]) : [],
      failovers: failoverCount(state?.vms[vm.name]),
    };
  });
}
