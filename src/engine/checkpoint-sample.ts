/**
 * Samples the checkpoints of every pair in COLO: for a window it listens to the STOP/RESUME events
 * of each primary's QEMU (on the QMP connection observation already opened) and reads the kernel's
 * counters of each migration connection at the start and at the end (one SSH command per primary
 * host each time, src/render/recipes/migration-counters.ts). The figures are derived from the
 * samples by src/plan/checkpoint-figures.ts.
 */
import type { VmSpec } from '../spec/types.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { Observation } from '../plan/observed.ts';
import type { CounterSample, FiguresInput, ObservedCheckpoint } from '../plan/checkpoint-figures.ts';
import type { QmpEventRecord } from '../qmp/types.ts';
import type { Session } from './session.ts';
import { rolesFor } from '../plan/plan-pairs.ts';
import { parseCounterOutput } from '../plan/migration-counters.ts';
import { counterTarget, renderMigrationCounters } from '../render/recipes/migration-counters.ts';
import { runScriptRecipe } from './run-recipe-script.ts';

/** What one sampling saw of a pair: the input of checkpointFigures (one window, or none). */
export interface PairSample extends FiguresInput {
  vm: string;
  primary: string;
}

export interface SampleOptions {
  /** How long to listen to the events, ms; 0: only read the counters once. */
  windowMs: number;
}

interface Target {
  vm: VmSpec;
  primary: string;
  secondary: string;
  pid: number | undefined;
  intervalMs: number | null;
  tls: boolean;
}

/** The pairs whose primary runs COLO with a secondary that answers, from an observation. */
export function coloPairs(session: Session, state: ColoState | null, obs: Observation): Target[] {
  return session.spec.vms.flatMap((vm) => {
    const roles = rolesFor(vm, state);
    const q = obs.vms[vm.name]?.qemu[roles.primary];
    if (!q?.alive || q.qmpError || q.coloMode !== 'primary' || q.migrateStatus !== 'colo') return [];
    // a secondary that is gone, hung or unanswered makes no checkpoints: listening would only cost the window
    const sq = obs.vms[vm.name]?.qemu[roles.secondary];
    if (!sq?.alive || sq.qmpError || sq.hung || !obs.hosts[roles.secondary]?.reachable) return [];
    const delay = q.migrateParams?.['x-checkpoint-delay'];
    const tls = q.migrateParams?.['tls-creds'];
    return [
      {
        vm,
        primary: roles.primary,
        secondary: roles.secondary,
        pid: q.pid,
        intervalMs: typeof delay === 'number' ? delay : null,
        tls: typeof tls === 'string' && tls !== '',
      },
    ];
  });
}

/** One reading of the counters of every target, per primary host in parallel. */
async function readAll(session: Session, targets: Target[]): Promise<Map<string, CounterSample>> {
  const byHost = new Map<string, Target[]>();
  for (const t of targets) byHost.set(t.primary, [...(byHost.get(t.primary) ?? []), t]);
  const out = new Map<string, CounterSample>();
  await Promise.all(
    [...byHost].map(async ([host, ts]) => {
      const recipe = renderMigrationCounters(
        host,
        ts.map((t) => counterTarget(session.spec, t.vm, t.secondary)),
      );
      let parsed: ReturnType<typeof parseCounterOutput> = {};
      let failure = 'ss is not installed on the host';
      try {
        const res = await runScriptRecipe(session.transport(host), recipe);
        parsed = parseCounterOutput(res.stdout, Object.fromEntries(ts.map((t) => [t.vm.name, t.pid])));
      } catch (err) {
        failure = `reading the migration connection failed: ${(err as Error).message}`;
      }
      const atMs = Date.now();
      for (const t of ts) out.set(t.vm.name, { atMs, result: parsed[t.vm.name] ?? { ok: false, reason: failure } });
    }),
  );
  return out;
}

const eventMs = (e: QmpEventRecord): number =>
  e.timestamp ? e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 : Date.now();

/** Collects the checkpoints (STOP, then RESUME) a client reports until `stop()` is called. */
function listen(
  session: Session,
  t: Target,
): Promise<{ checkpoints: ObservedCheckpoint[]; stop: () => void; startMs: number } | null> {
  return session.qmp(t.primary, t.vm.name).then(
    (client) => {
      const checkpoints: ObservedCheckpoint[] = [];
      const onEvent = (e: QmpEventRecord) => {
        if (e.event === 'STOP') checkpoints.push({ stopMs: eventMs(e), resumeMs: null });
        else if (e.event === 'RESUME') {
          const last = checkpoints[checkpoints.length - 1];
          if (last && last.resumeMs === null) last.resumeMs = eventMs(e);
        }
      };
      client.on('event', onEvent);
      return { checkpoints, stop: () => client.off('event', onEvent as (arg: never) => void), startMs: Date.now() };
    },
    () => null,
  );
}

export async function sampleCheckpoints(
  session: Session,
  state: ColoState | null,
  obs: Observation,
  opts: SampleOptions,
): Promise<Record<string, PairSample>> {
  const targets = coloPairs(session, state, obs);
  const out: Record<string, PairSample> = {};
  if (targets.length === 0) return out;
  const listeners = opts.windowMs > 0 ? await Promise.all(targets.map((t) => listen(session, t))) : [];
  const first = await readAll(session, targets);
  const readings = new Map(targets.map((t) => [t.vm.name, [first.get(t.vm.name)!]]));
  if (opts.windowMs > 0) {
    const startMs = Math.min(...listeners.map((l) => l?.startMs ?? Date.now()));
    const left = startMs + opts.windowMs - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const last = await readAll(session, targets);
    for (const t of targets) readings.get(t.vm.name)!.push(last.get(t.vm.name)!);
  }
  const endMs = Date.now();
  targets.forEach((t, i) => {
    const l = listeners[i];
    l?.stop();
    out[t.vm.name] = {
      vm: t.vm.name,
      primary: t.primary,
      intervalMs: t.intervalMs,
      tls: t.tls,
      windows: l ? [{ startMs: l.startMs, endMs, checkpoints: l.checkpoints }] : [],
      readings: readings.get(t.vm.name)!,
    };
  });
  return out;
}
