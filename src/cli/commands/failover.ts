/** `colo failover [VM...] --to secondary|primary`: promote the survivor, fencing first. */
import { Option, type Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { healthDeadlineMs, withHealthDeadline } from '../health-deadline.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { processOutput } from '../output.ts';
import { selectVms } from '../select-vms.ts';
import { CommandFailed, UserError } from '../user-error.ts';
import { afterStepHookFromEnv } from '../fault-injection.ts';
import { failover, failoverObserveOptions, type FailoverOptions, type FailoverTarget } from '../../engine/failover.ts';
import type { ColoState } from '../../plan/state-model.ts';
import { FailoverHuman } from '../../ui/views/failover/failover-human.ts';
import { FailoverJson } from '../../ui/views/failover/failover-json.ts';

interface FailoverCliOptions extends SpecOptions {
  to: FailoverTarget;
  iHaveFenced: string[];
  force?: boolean;
  lockTimeout: string;
  healthDeadline: string;
}

async function runFailover(names: string[], opts: FailoverCliOptions): Promise<number> {
  const view = opts.json ? new FailoverJson(processOutput) : new FailoverHuman(processOutput);
  const spec = await loadSpecOrFail(opts.file);
  const vms = selectVms(spec, names, opts.file);
  const unknownHosts = opts.iHaveFenced.filter((h) => !spec.hosts[h]);
  if (unknownHosts.length > 0)
    throw new UserError(`--i-have-fenced: no host named ${unknownHosts.join(', ')} in ${opts.file}`);
  const deadline = healthDeadlineMs(opts.healthDeadline);
  const afterStep = afterStepHookFromEnv(); // a test hook: only with COLO_TEST_HOOKS=1
  const lock = stateLockFor(opts, 'failover');
  const fopts: FailoverOptions = {
    to: opts.to,
    fencedByOperator: opts.iHaveFenced,
    force: !!opts.force,
    healthDeadlineMs: deadline,
    progress: (vm, m) => view.progress(vm, m),
    ...(afterStep ? { afterStep } : {}),
  };
  // the sides to fence cost at most the deadline to lock too; hosts the operator fenced are not touched
  const hostLock = (state: ColoState | null) => ({
    timeoutFor: failoverObserveOptions(vms, state, fopts).hostTimeoutFor,
    exclude: new Set(opts.iHaveFenced),
  });
  const run = await withLockedSession(
    spec,
    opts,
    lock,
    (session, store) => failover(session, store, vms, fopts),
    hostLock,
  );
  view.results(opts.to, run);
  if (run.errors.length > 0) throw new CommandFailed(view.failure(run));
  return 0;
}

export function registerFailover(program: Command, wire: Wire): void {
  withHealthDeadline(
    specCommand(
      program,
      'failover',
      'promote the survivor of each named VM pair (all pairs when none named), fencing the other side first',
    ),
    'and, as the side to fence, is killed at once',
  )
    .argument('[vm...]', 'VM pairs to fail over (default: every pair in the spec)')
    .addOption(
      new Option('--to <side>', 'which side survives: the secondary (primary lost) or the primary (secondary lost)')
        .choices(['secondary', 'primary'])
        .makeOptionMandatory(),
    )
    .option(
      '--i-have-fenced <host>',
      'confirm HOST is powered off / cannot run the VM (when it is unreachable and has no fence command); repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--force', 'promote even when the pair is healthy or the survivor looks unfit')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock', '0s')
    .action(wire(async (names: string[], raw: unknown) => runFailover(names, raw as FailoverCliOptions)));
}
