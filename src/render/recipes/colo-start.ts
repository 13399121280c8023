/**
 * Bringing a pair into COLO from a running primary and a prepared secondary ("mirror start", also
 * re-protection): full disk resync over NBD (write-blocking mirror), the guest's drivers ready, the
 * live switchover (replication children, proxy, x-colo, migrate while the guest runs; QEMU pauses
 * it only for the last copy; a failure undoes the wiring), the mirrors ended once COLO runs, then
 * verified: both COLO modes, a checkpoint after the first, no secondary virtio device stuck
 * disabled. Before it, the teardown recipe clears leftovers of an interrupted earlier attempt.
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import type { Placement } from '../placement.ts';
import { all, any, cmd, eq, has, not, query, ref } from './build.ts';
import {
  coloModesCheck,
  guestDriversReadyPoll,
  migrateUntilColoPoll,
  mirrorsInStepPoll,
  secondaryVirtioCheck,
} from './colo-checks.ts';
import { renderMirrorStart } from './mirror-start.ts';
import { sendPhase } from './phase.ts';
import { proxyChardevIds, renderProxyChardevAdds } from './proxy.ts';
import { renderResyncFinish } from './resync-finish.ts';
import { renderSwitchover } from './switchover.ts';
import { renderPrimaryTeardown } from './teardown.ts';
import type { CheckOp, QmpOp, QmpRecipe, SendOp } from './types.ts';

/** The proxy chardevs: all of them or none (then the switchover adds them), never some. */
function chardevsCheck(vm: VmSpec): CheckOp {
  const items = proxyChardevIds(vm).map((id) => ({ name: id, when: has('chardevs', [], 'label', id) }));
  return {
    op: 'check',
    queries: [query('chardevs', cmd('query-chardev'))],
    fail: [
      {
        when: all(any(...items.map((i) => i.when)), not(all(...items.map((i) => i.when)))),
        items,
        message: [
          `the primary of ${vm.name} has only some of its proxy chardevs (`,
          { matched: true },
          '); stop it and re-apply',
        ],
      },
    ],
  };
}

/** The switchover phases; the proxy chardevs are added first when the primary has none of them. */
function switchoverOps(spec: Spec, vm: VmSpec, p: Placement): SendOp[] {
  const none = not(any(...proxyChardevIds(vm).map((id) => has('chardevs', [], 'label', id))));
  const adds = renderProxyChardevAdds(spec, vm, p).map((command) => ({ command, when: none }));
  return renderSwitchover(spec, vm, { ...p, primaryHasProxyChardevs: true }).map((phase) => {
    const op = sendPhase(phase);
    if (phase.name !== 'switchover-wire') return op;
    const objects = op.steps.filter((s) => s.command.execute === 'object-add');
    const replication = op.steps.filter((s) => s.command.execute !== 'object-add');
    return { ...op, steps: [...replication, ...adds, ...objects] };
  });
}

function liveSwitchover(spec: Spec, vm: VmSpec, p: Placement): QmpOp {
  return {
    op: 'rescue',
    timing: 'live',
    ops: [
      ...switchoverOps(spec, vm, p),
      { op: 'note', text: 'copying the RAM while the guest runs' },
      migrateUntilColoPoll(vm),
      mirrorsInStepPoll(vm),
    ],
    // Never leave a half-wired primary: stop the migration, undo the wiring, make sure the guest runs.
    rescue: [
      {
        op: 'send',
        steps: [
          {
            command: cmd('migrate_cancel'),
            when: not(eq(ref('migrate', 'status'), 'colo')),
            tolerate: { anyError: true },
          },
        ],
      },
      { op: 'include', recipe: renderPrimaryTeardown(spec, vm, p, { resetPeerSockets: false }) },
    ],
    failure: 'switchover failed',
    rescued: 'the primary was left running alone',
    rescueFailed: 'cleaning up the primary failed too',
  };
}

export interface ColoStartRecipes {
  /** Leftovers of an interrupted earlier attempt removed first (the same teardown recipe). */
  teardown: QmpRecipe;
  start: QmpRecipe;
}

export function renderColoStart(spec: Spec, vm: VmSpec, p: Placement): ColoStartRecipes {
  const drivers = guestDriversReadyPoll(vm);
  const ops: QmpOp[] = [
    chardevsCheck(vm),
    { op: 'note', text: `mirroring ${vm.disks.length} disk(s) to ${p.secondary}` },
    ...renderMirrorStart(spec, vm, p).map((ph) => sendPhase(ph, 600_000, 600_000)),
    { op: 'note', text: `waiting for the guest on ${p.primary} to set up its virtio devices` },
    ...(drivers ? [drivers] : []),
    { op: 'mark', as: 'switchover' },
    liveSwitchover(spec, vm, p),
    { op: 'wait-event', events: ['STOP'], after: { mark: 'switchover' }, as: 'stop', timeoutMs: 10_000 },
    { op: 'wait-event', events: ['RESUME'], after: { event: 'stop' }, as: 'resume', timeoutMs: 60_000 },
    // Replication carries the writes now: end the resync mirrors.
    ...renderResyncFinish(vm).map((ph) => sendPhase(ph, 60_000, 60_000)),
    coloModesCheck(p),
    // A checkpoint after the first: each one stops and resumes the primary.
    { op: 'note', text: 'waiting for a checkpoint after the first' },
    {
      op: 'wait-event',
      events: ['RESUME'],
      after: { event: 'resume' },
      as: 'checkpoint',
      timeoutMs: vm.checkpoint.intervalMs * 3 + 30_000,
    },
    secondaryVirtioCheck(vm),
  ];
  return {
    teardown: renderPrimaryTeardown(spec, vm, p, { resetPeerSockets: false }),
    start: {
      kind: 'qmp',
      name: 'colo-start',
      summary: 'disk resync, live switchover into COLO, resync ended, COLO verified',
      vm: vm.name,
      role: 'primary',
      hosts: { primary: p.primary, secondary: p.secondary },
      ops,
    },
  };
}
