/** `colo failover [VM...] --to secondary|primary`: promote the survivor, fencing first. */
import { Option, type Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { openSession, statePathFor } from '../run-context.ts';
import { readState, writeState } from '../../state/state-file.ts';
import { acquireLock, releaseOnExit } from '../../state/lock.ts';
import { failoverVms, type FailoverResult, type FailoverTarget } from '../../engine/failover.ts';
import { UserError } from '../user-error.ts';
import { parseDuration } from '../parse-duration.ts';

interface FailoverCliOptions extends SpecOptions {
  to: FailoverTarget;
  iHaveFenced: string[];
  force?: boolean;
  lockTimeout: string;
}

/** The `colo failover --json` document (schemas/failover.schema.json); each error's kind is its class name. */
export function failoverDocument(
  to: FailoverTarget,
  r: { results: FailoverResult[]; errors: { vm: string; error: Error }[] },
) {
  return {
    format_version: '1.0' as const,
    to,
    results: r.results,
    errors: r.errors.map((e) => ({ vm: e.vm, kind: e.error.name, error: e.error.message })),
  };
}

export function registerFailover(program: Command, setExit: SetExitCode): void {
  specCommand(
    program,
    'failover',
    'promote the survivor of each named VM pair (all pairs when none named), fencing the other side first',
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
    .action(async (...args: unknown[]) => {
      const names = args[0] as string[];
      const opts = args[1] as FailoverCliOptions;
      const spec = await loadSpecOrFail(opts.file);
      const unknownVms = names.filter((n) => !spec.vms.some((v) => v.name === n));
      if (unknownVms.length > 0)
        throw new UserError(
          `no VM named ${unknownVms.join(', ')} in ${opts.file} (VMs: ${spec.vms.map((v) => v.name).join(', ')})`,
        );
      const unknownHosts = opts.iHaveFenced.filter((h) => !spec.hosts[h]);
      if (unknownHosts.length > 0)
        throw new UserError(`--i-have-fenced: no host named ${unknownHosts.join(', ')} in ${opts.file}`);
      const vms = spec.vms.filter((v) => names.length === 0 || names.includes(v.name));
      const statePath = statePathFor(opts);
      const lock = await acquireLock(statePath, 'failover', {
        timeoutMs: parseDuration(opts.lockTimeout, '--lock-timeout'),
      });
      const unhook = releaseOnExit(lock);
      const { session, close } = openSession(spec, opts);
      try {
        let state = await readState(statePath);
        const r = await failoverVms(session, spec, vms, state, {
          to: opts.to,
          fencedByOperator: opts.iHaveFenced,
          force: !!opts.force,
          progress: (vm, m) => {
            if (!opts.json) process.stderr.write(`${vm}: ${m}\n`);
          },
        });
        if (state && Object.keys(r.states).length > 0)
          state = await writeState(statePath, { ...state, vms: { ...state.vms, ...r.states } });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(failoverDocument(opts.to, r), null, 2)}\n`);
        } else {
          for (const res of r.results) process.stdout.write(`${res.message}\n`);
        }
        if (r.errors.length > 0) {
          const msg = r.errors.map((e) => `${e.vm}: ${e.error.message}`).join('\n');
          if (opts.json) {
            setExit(1);
            return;
          }
          throw new UserError(r.errors.length === 1 ? msg : `failover failed for ${r.errors.length} VMs:\n${msg}`);
        }
        setExit(0);
      } finally {
        await close();
        unhook();
        await lock.release();
      }
    });
}
