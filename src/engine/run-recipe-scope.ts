/** What one run of a QMP recipe knows and records; shared by the executor's parts (run-recipe*.ts). */
import type { QmpClient } from '../qmp/client.ts';
import type { QmpEventRecord } from '../qmp/types.ts';
import type { Facts } from '../render/recipes/evaluate.ts';
import type { QemuRole, QmpRecipe } from '../render/recipes/types.ts';

/** The QMP connection of each QEMU a recipe talks to, by role. */
export type QmpPeers = Partial<Record<QemuRole, QmpClient>>;

export interface RecipeRunOptions {
  /** Progress lines: phase names and the recipe's notes. */
  progress?: (message: string) => void;
}

export interface RecipeResult {
  /** The replies of the recipe's queries, by name (the last one for a poll). */
  facts: Facts;
  /** Labelled commands: true when one returned, false when its error was tolerated. */
  succeeded: Record<string, boolean>;
  /** What commands marked `removes` removed, in order. */
  removed: string[];
  /** Wall times (ms) of phases and of operations naming a timing. */
  timings: Record<string, number>;
  /** Awaited events kept by name. */
  events: Record<string, QmpEventRecord>;
  /** Why a query whose error the recipe tolerates failed (its fact absent or a stand-in), by fact name. */
  queryErrors: Record<string, string>;
}

export interface RunScope extends RecipeResult {
  recipe: QmpRecipe;
  peers: QmpPeers;
  /** Event positions by mark name. */
  marks: Record<string, number>;
  progress?: (message: string) => void;
}

export function newScope(recipe: QmpRecipe, peers: QmpPeers, opts: RecipeRunOptions): RunScope {
  return {
    recipe,
    peers,
    facts: {},
    succeeded: {},
    removed: [],
    timings: {},
    events: {},
    queryErrors: {},
    marks: {},
    ...(opts.progress ? { progress: opts.progress } : {}),
  };
}

export function clientFor(scope: RunScope, on: QemuRole | undefined): QmpClient {
  const role = on ?? scope.recipe.role;
  const client = scope.peers[role];
  if (!client) throw new Error(`recipe ${scope.recipe.name}: no QMP connection to the ${role} QEMU`);
  return client;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
