/** `colo status`: where each VM pair stands now (observed, not planned), with its checkpoint figures. */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { healthDeadlineMs, withHealthDeadline } from '../health-deadline.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { liveProgress, processOutput, styleFor } from '../output.ts';
import { parseDuration } from '../parse-duration.ts';
import { UserError } from '../user-error.ts';
import { watchStatus } from '../status-watch.ts';
import { HOST_DEADLINE_EXTRA_MS } from '../../engine/failover.ts';
import { statusSnapshot } from '../../engine/status-snapshot.ts';
import { figuresByVm } from '../../plan/checkpoint-figures.ts';
import { pairStatuses } from '../../plan/pair-status.ts';
import { StatusHuman } from '../../ui/views/status/status-human.ts';
import { StatusJson } from '../../ui/views/status/status-json.ts';

export interface StatusOptions extends SpecOptions {
  lockTimeout: string;
  sample?: string;
  watch?: boolean;
  interval: string;
  count?: string;
}

export function registerStatus(program: Command, wire: Wire): void {
  withHealthDeadline(
    specCommand(
      program,
      'status',
      'show each VM pair: hosts and roles, COLO mode, health, checkpoint settings and figures, last failover',
    ),
    'and is shown so',
  )
    .option('--lock-timeout <duration>', 'how long to wait for the state lock held by a command that changes it', '0s')
    .option(
      '--sample <duration>',
      "how long to listen to each protected pair's checkpoints (0s: counters only; default 3s, with --watch at " +
        'most half the interval)',
    )
    .option(
      '--watch',
      'refresh until stopped, in place like top (plain lines without a terminal, JSON lines with --json)',
    )
    .option('--interval <duration>', 'with --watch: time from one refresh to the next', '5s')
    .option('--count <n>', 'with --watch: stop after n refreshes')
    .action(
      wire(async (raw: unknown) => {
        const opts = raw as StatusOptions & { healthDeadline: string };
        const qmpDeadlineMs = healthDeadlineMs(opts.healthDeadline);
        // a host cut off costs the deadline plus what an SSH connection needs, not the 20 s default
        const observe = { qmpDeadlineMs, timeoutMs: qmpDeadlineMs + HOST_DEADLINE_EXTRA_MS };
        const explicit = opts.sample !== undefined ? parseDuration(opts.sample, '--sample') : null;
        const view = opts.json
          ? new StatusJson(processOutput)
          : new StatusHuman(processOutput, styleFor(opts), liveProgress());
        const spec = await loadSpecOrFail(opts.file);
        if (opts.watch) {
          const intervalMs = parseDuration(opts.interval, '--interval');
          const count = opts.count === undefined ? Infinity : Number(opts.count);
          if (opts.count !== undefined && (!Number.isInteger(count) || count < 1))
            throw new UserError(`--count: "${opts.count}" is not a count of refreshes (1 or more)`);
          if (intervalMs < 1000) throw new UserError(`--interval: "${opts.interval}" is shorter than 1s`);
          const sampleMs = explicit ?? Math.min(3000, Math.floor(intervalMs / 2));
          if (sampleMs >= intervalMs)
            throw new UserError(
              `--sample (${opts.sample}) must be shorter than --interval (${opts.interval}): between refreshes ` +
                'other colo commands get the lock and the QMP sockets',
            );
          return watchStatus(spec, opts, view, { sampleMs, intervalMs, count, observe });
        }
        const snap = await withLockedSession(spec, opts, stateLockFor(opts, 'status'), (s, store) =>
          statusSnapshot(s, store, explicit ?? 3000, observe),
        );
        view.status(pairStatuses(spec, snap.state, snap.obs, figuresByVm(snap.samples)));
        return 0;
      }),
    );
}
