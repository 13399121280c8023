/** `colo status`: where each VM pair stands now (observed, not planned). */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { healthDeadlineMs, withHealthDeadline } from '../health-deadline.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { processOutput, styleFor } from '../output.ts';
import { observeAll } from '../../engine/observe.ts';
import { HOST_DEADLINE_EXTRA_MS } from '../../engine/failover.ts';
import { pairStatuses } from '../../plan/pair-status.ts';
import { StatusHuman } from '../../ui/views/status/status-human.ts';
import { StatusJson } from '../../ui/views/status/status-json.ts';

export function registerStatus(program: Command, wire: Wire): void {
  withHealthDeadline(
    specCommand(
      program,
      'status',
      'show each VM pair: hosts and roles, COLO mode, migration, checkpoint settings, health, last failover',
    ),
    'and is shown so',
  )
    .option('--lock-timeout <duration>', 'how long to wait for the state lock held by a command that changes it', '0s')
    .action(
      wire(async (raw: unknown) => {
        const opts = raw as SpecOptions & { lockTimeout: string; healthDeadline: string };
        const qmpDeadlineMs = healthDeadlineMs(opts.healthDeadline);
        const view = opts.json ? new StatusJson(processOutput) : new StatusHuman(processOutput, styleFor(opts));
        const spec = await loadSpecOrFail(opts.file);
        const { state, obs } = await withLockedSession(spec, opts, stateLockFor(opts, 'status'), async (s, store) => {
          const state = await store.read();
          // a host cut off costs the deadline plus what an SSH connection needs, not the 20 s default
          const hostMs = qmpDeadlineMs + HOST_DEADLINE_EXTRA_MS;
          return { state, obs: await observeAll(s, state, { qmpDeadlineMs, timeoutMs: hostMs }) };
        });
        view.status(pairStatuses(spec, state, obs));
        return 0;
      }),
    );
}
