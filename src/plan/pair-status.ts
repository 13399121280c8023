/**
 * `colo status` as data: per VM its hosts and roles, COLO modes, migration status, checkpoint
 * settings, health (protected / degraded / down) and the last failover. Pure: from spec, state and
 * an observation.
 */
import type { Spec } from '../spec/types.ts';
import { failoverCount, type ColoState } from './state-model.ts';
import type { Observation } from './observed.ts';
import { rolesFor } from './plan-pairs.ts';
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
}

export function pairStatuses(
  spec: Spec,
  state: ColoState | null,
  obs: Observation,
  figures: Record<string, CheckpointFigures> = {},
): PairStatus[] {
  return spec.vms.map((vm) => {
    const roles = rolesFor(vm, state);
    const side = (host: string): SideStatus => {
      const h = obs.hosts[host];
      const q = obs.vms[vm.name]?.qemu[host];
      return {
        host,
        reachable: !!h?.reachable,
        running: !!q?.alive,
        pid: q?.pid ?? null,
        runStatus: q?.runStatus ?? null,
        coloMode: q?.coloMode ?? null,
        coloReason: q?.coloReason ?? null,
        migrateStatus: q?.migrateStatus ?? null,
      };
    };
    const p = side(roles.primary);
    const s = side(roles.secondary);
    const pq = obs.vms[vm.name]?.qemu[roles.primary];
    const unknown = [roles.primary, roles.secondary].flatMap((h) =>
      (obs.vms[vm.name]?.qemu[h]?.healthUnknown ?? []).map((u) => `health unknown on ${h}: ${u.query}: ${u.detail}`),
    );
    let health: PairHealth;
    let summary: string;
    if (unknown.length > 0 && p.running) {
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
      failovers: failoverCount(state?.vms[vm.name]),
    };
  });
}
