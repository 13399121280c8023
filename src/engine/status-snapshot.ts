/**
 * What `colo status` (and each refresh of --watch, and a metrics collection) reads: the state, an
 * observation, and a checkpoint sample of every pair in COLO (src/engine/checkpoint-sample.ts).
 */
import type { ColoState } from '../plan/state-model.ts';
import type { Observation } from '../plan/observed.ts';
import type { Session } from './session.ts';
import type { StateStore } from './state-store.ts';
import { observeAll, type ObserveOptions } from './observe.ts';
import { sampleCheckpoints, type PairSample } from './checkpoint-sample.ts';

export interface StatusSnapshot {
  state: ColoState | null;
  obs: Observation;
  samples: Record<string, PairSample>;
}

/** `observe`: the health deadline of `--health-deadline` (a hung QEMU costs that, not 10 s). */
export async function statusSnapshot(
  session: Session,
  store: StateStore,
  sampleMs: number,
  observe: ObserveOptions = {},
): Promise<StatusSnapshot> {
  const state = await store.read();
  const obs = await observeAll(session, state, observe);
  const samples = await sampleCheckpoints(session, state, obs, { windowMs: sampleMs });
  return { state, obs, samples };
}
