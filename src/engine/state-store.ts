/**
 * Where an engine operation reads and writes colo's state: the state file (under the lock the CLI
 * holds), or anything else that keeps a ColoState (tests).
 */
import type { ColoState } from '../plan/state-model.ts';
import { readState, writeState } from '../state/state-file.ts';

export interface StateStore {
  /** The state as it is now; null when colo has not written one yet. */
  read(): Promise<ColoState | null>;
  /** Writes the state and returns it as written (serial incremented): use that one for the next write. */
  write(state: ColoState): Promise<ColoState>;
}

export function stateFileStore(statePath: string): StateStore {
  return { read: () => readState(statePath), write: (state) => writeState(statePath, state) };
}
