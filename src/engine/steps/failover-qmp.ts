/** The survivor's QMP part of a failover (src/engine/failover.ts decides and fences; this runs the recipe). */
import type { Spec, VmSpec } from '../../spec/types.ts';
import type { QmpClient } from '../../qmp/client.ts';
import { renderFailoverToPrimary, renderFailoverToSecondary } from '../../render/recipes/step-recipes.ts';
import { renderSurvivorVerify } from '../../render/recipes/failover-verify.ts';
import { virtioDisabledCheck } from '../../render/recipes/colo-checks.ts';
import { matchedItems } from '../../render/recipes/evaluate.ts';
import { yankedInstances } from '../../render/recipes/yank.ts';
import type { QemuRole } from '../../render/recipes/types.ts';
import { runQmpRecipe } from '../run-recipe.ts';
import { placementFromRoles } from './step-helpers.ts';

type Roles = { primary: string; secondary: string; primaryOrigin: string };

/**
 * The survivor freed from its fenced peer: out-of-band query-yank, then a yank of each connection to
 * the peer it lists (src/render/recipes/yank.ts). Returns what was yanked (none: no yank or no OOB).
 */
export async function yankSurvivor(
  qmp: QmpClient,
  spec: Spec,
  vm: VmSpec,
  roles: Roles,
  to: QemuRole,
): Promise<string[]> {
  const recipes = to === 'secondary' ? renderFailoverToSecondary : renderFailoverToPrimary;
  const r = await runQmpRecipe(recipes(spec, vm, placementFromRoles(roles)).yank, { [to]: qmp });
  return yankedInstances(r.succeeded);
}

/** The secondary takes over (its primary is fenced); retried while it still loads a checkpoint. */
export async function promoteSecondary(qmp: QmpClient, spec: Spec, vm: VmSpec, roles: Roles): Promise<void> {
  await runQmpRecipe(renderFailoverToSecondary(spec, vm, placementFromRoles(roles)).promote, { secondary: qmp });
}

/** The primary leaves COLO and runs alone (its secondary is fenced): the same teardown as primary-leave-colo. */
export async function leaveColoOnPrimary(qmp: QmpClient, spec: Spec, vm: VmSpec, roles: Roles): Promise<void> {
  await runQmpRecipe(renderFailoverToPrimary(spec, vm, placementFromRoles(roles)).promote, { primary: qmp });
}

/** What the survivor's announce-self came to (src/render/recipes/announce.ts). */
export type AnnounceOutcome = { state: 'sent'; rounds: number } | { state: 'off' } | { state: 'failed'; error: string };

/**
 * The survivor announces its NICs (after its promotion). The VM already runs alone there, so a
 * refused announcement does not undo or fail the failover: it is returned (a warning), not thrown.
 */
export async function announceSurvivor(
  qmp: QmpClient,
  spec: Spec,
  vm: VmSpec,
  roles: Roles,
  to: 'primary' | 'secondary',
): Promise<AnnounceOutcome> {
  const p = placementFromRoles(roles);
  const recipe = (to === 'secondary' ? renderFailoverToSecondary : renderFailoverToPrimary)(spec, vm, p).announce;
  if (recipe === undefined || vm.failover.announce === false) return { state: 'off' };
  try {
    await runQmpRecipe(recipe, { [to]: qmp });
    return { state: 'sent', rounds: vm.failover.announce.rounds };
  } catch (err) {
    return { state: 'failed', error: (err as Error).message };
  }
}

/**
 * Waits until the survivor runs with COLO mode none; returns its disabled virtio devices. (The
 * recipe colo render shows after either failover; src/engine/failover.ts still polls the same
 * queries itself.)
 */
export async function verifySurvivor(qmp: QmpClient, vm: VmSpec, host: string, role: QemuRole): Promise<string[]> {
  const r = await runQmpRecipe(renderSurvivorVerify(vm, host, role), { [role]: qmp });
  return matchedItems(virtioDisabledCheck(vm, 'virtio', []), r);
}
