/**
 * The waits and checks of a start into COLO, as data: the guest's virtio drivers ready, the
 * migration reaching "colo", the resync mirrors in step, both COLO modes, no secondary virtio
 * device stuck disabled.
 */
import type { VmSpec } from '../../spec/types.ts';
import { diskIds, virtioBackendPaths } from '../ids.ts';
import type { Placement } from '../placement.ts';
import { all, any, cmd, eq, not, query, ref, where } from './build.ts';
import type { Check, CheckOp, PollOp, Predicate, QemuRole, QmpRecipe, Query, Ref } from './types.ts';

/**
 * How long the live RAM copy may take before colo gives up: 2 minutes plus the whole RAM three
 * times over at the slower of max-bandwidth and 100 MiB/s (a 128 MiB guest: ~124 s; 16 GiB: ~10 min).
 */
export function liveCopyTimeoutMs(vm: VmSpec): number {
  const ramBytes = vm.machine.memoryMiB * 1024 * 1024;
  const rate = Math.min(vm.checkpoint.maxBandwidthBytes, 100 * 1024 * 1024);
  return 120_000 + Math.ceil(((3 * ramBytes) / rate) * 1000);
}

/** x-query-virtio-status of every virtio device; a device without status leaves its fact absent. */
export function virtioStatusQueries(vm: VmSpec, prefix: string, on?: QemuRole): Query[] {
  return virtioBackendPaths(vm).map((path, i) =>
    query(`${prefix}${i}`, cmd('x-query-virtio-status', { path }), { onError: 'absent', ...(on ? { on } : {}) }),
  );
}

/** The guest driver finished setting the device up (VIRTIO_CONFIG_S_DRIVER_OK), as 7.2 and later report it. */
export function driverReady(status: Ref): Predicate {
  return any(
    { at: { ...status, path: [...(status.path ?? []), 'status'] }, bitsSet: 4 },
    {
      at: { ...status, path: [...(status.path ?? []), 'status', 'statuses'] },
      someStartsWith: 'VIRTIO_CONFIG_S_DRIVER_OK',
    },
  );
}

const disabled = (fact: string): Predicate => eq(ref(fact, 'disabled'), true);

/**
 * Until the guest's drivers have set up every virtio device of the primary (DRIVER_OK, not
 * disabled): COLO must not start while the guest boots, or QEMU 7.2's virtio `disabled` flag can
 * stick on the secondary and its NIC stays dead. Undefined when the VM has no virtio device.
 */
export function guestDriversReadyPoll(vm: VmSpec): PollOp | undefined {
  const queries = virtioStatusQueries(vm, 'virtio');
  if (queries.length === 0) return undefined;
  const paths = virtioBackendPaths(vm);
  return {
    op: 'poll',
    what: 'the guest to set up its virtio device(s) (it boots before COLO starts)',
    queries,
    pending: queries.map((q, i) => ({
      when: all({ at: ref(q.as), present: true }, any(not(driverReady(ref(q.as))), disabled(q.as))),
      show: [paths[i]!],
    })),
    lastSeenPrefix: 'not ready: ',
    intervalMs: 250,
    timeoutMs: 300_000,
    timing: 'guest-drivers',
    slowNote: { overMs: 500, text: 'guest drivers ready after' },
  };
}

/** Until query-migrate says "colo"; failed or cancelled ends it at once. */
export function migrateUntilColoPoll(vm: VmSpec): PollOp {
  const status = ref('migrate', 'status');
  const desc = ref('migrate', 'error-desc');
  return {
    op: 'poll',
    what:
      `the primary's migration to reach status "colo" (the guest dirties RAM faster than it can be copied ` +
      `within checkpoint.switchoverDowntime ${vm.checkpoint.switchoverDowntimeMs} ms? raise it, or ` +
      `checkpoint.maxBandwidth)`,
    queries: [query('migrate', cmd('query-migrate'))],
    fail: [
      {
        when: { at: status, oneOf: ['failed', 'cancelled'] },
        message: [
          'COLO migration ',
          { value: status },
          { when: { at: desc, present: true }, then: [': ', { value: desc }] },
        ],
      },
    ],
    pending: [{ when: not(eq(status, 'colo')), show: [{ value: status }] }],
    intervalMs: 50,
    timeoutMs: liveCopyTimeoutMs(vm),
  };
}

/**
 * Once COLO runs, every resync mirror must still be READY with nothing left to copy: the
 * secondary's disk then held every write up to the switchover. A job that failed or fell behind
 * means it may not, and COLO must not be trusted (the colo-start recipe then leaves it).
 */
export function mirrorsInStepPoll(vm: VmSpec, timeoutMs = 3000): PollOp {
  const fail: Check[] = [];
  const pending: PollOp['pending'] = [];
  for (const d of vm.disks) {
    const id = diskIds(d).mirrorJob;
    const job = (...path: string[]) => ref('jobs', where('device', id), ...path);
    const missed = ": the secondary's disk may have missed writes";
    fail.push(
      { when: { at: job(), present: false }, message: [`the resync mirror ${id} is gone${missed}`] },
      {
        when: any(
          { at: job('error'), present: true },
          all({ at: job('status'), present: true }, not({ at: job('status'), oneOf: ['ready', 'running'] })),
        ),
        message: [
          `the resync mirror ${id} is `,
          { value: job('status'), absent: 'not ready' },
          { when: { at: job('error'), present: true }, then: [' (', { value: job('error') }, ')'] },
          missed,
        ],
      },
    );
    pending.push({
      when: any(eq(job('ready'), false), not({ at: job('offset'), sameAs: job('len') })),
      show: [`${id} `, { difference: [job('len'), job('offset')] }, ' bytes behind'],
    });
  }
  return {
    op: 'poll',
    what: 'the resync mirrors to be in step with the primary',
    queries: [query('jobs', cmd('query-block-jobs'))],
    fail,
    pending,
    intervalMs: 50,
    timeoutMs,
  };
}

/** query-colo-status on both sides: primary and secondary. */
export function coloModesCheck(p: Placement): CheckOp {
  const pm = ref('primary-colo', 'mode');
  const sm = ref('secondary-colo', 'mode');
  return {
    op: 'check',
    queries: [
      query('primary-colo', cmd('query-colo-status'), { on: 'primary' }),
      query('secondary-colo', cmd('query-colo-status'), { on: 'secondary' }),
    ],
    fail: [
      {
        when: not(all(eq(pm, 'primary'), eq(sm, 'secondary'))),
        message: [
          'after migrate, COLO modes are ',
          { value: pm },
          ` on ${p.primary} and `,
          { value: sm },
          ` on ${p.secondary} (expected primary and secondary)`,
        ],
      },
    ],
  };
}

/** The virtio devices whose `disabled` flag is set, from virtioStatusQueries(vm, prefix). */
export function virtioDisabledCheck(vm: VmSpec, prefix: string, message: Check['message']): Check {
  return {
    items: virtioBackendPaths(vm).map((path, i) => ({ name: path, when: disabled(`${prefix}${i}`) })),
    message,
  };
}

/** No virtio device of the secondary stuck disabled once COLO runs (QEMU's virtio flag bug). */
export function secondaryVirtioCheck(vm: VmSpec): CheckOp {
  return {
    op: 'check',
    queries: virtioStatusQueries(vm, 'secondary-virtio', 'secondary'),
    fail: [
      virtioDisabledCheck(vm, 'secondary-virtio', [
        "COLO runs but the secondary's virtio device(s) ",
        { matched: true },
        ' are stuck disabled (QEMU virtio flag bug): the secondary guest cannot use them and the service would ' +
          'stall. Re-run apply to re-protect.',
      ]),
    ],
  };
}

/** x-query-virtio-status of every virtio device of the VM's QEMU (facts virtio0, virtio1, ...). */
export function renderVirtioStatus(vm: VmSpec, host?: string): QmpRecipe {
  return {
    kind: 'qmp',
    name: 'virtio-status',
    summary: "the QEMU's virtio devices, read for their `disabled` flag",
    vm: vm.name,
    role: 'either',
    hosts: host === undefined ? {} : { either: host },
    ops: [{ op: 'query', queries: virtioStatusQueries(vm, 'virtio') }],
  };
}
