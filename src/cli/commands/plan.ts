/** `colo plan`: observe the hosts and show what apply would change. */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecSourceOrFail } from '../load-spec-or-fail.ts';
import { healthDeadlineMs, withHealthDeadline } from '../health-deadline.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { processOutput, styleFor } from '../output.ts';
import { UserError } from '../user-error.ts';
import { writePlanFile } from '../../state/plan-file.ts';
import { makePlan } from '../../engine/make-plan.ts';
import { sampleCheckpoints } from '../../engine/checkpoint-sample.ts';
import { figuresByVm } from '../../plan/checkpoint-figures.ts';
import { pairStatuses } from '../../plan/pair-status.ts';
import { parseDuration } from '../parse-duration.ts';
import { planHasChanges, type PlanMode } from '../../plan/plan-model.ts';
import { PlanHuman } from '../../ui/views/plan/plan-human.ts';
import { PlanJson } from '../../ui/views/plan/plan-json.ts';

interface PlanOptions extends SpecOptions {
  out?: string;
  detailedExitcode?: boolean;
  refreshOnly?: boolean;
  destroy?: boolean;
  lockTimeout: string;
  healthDeadline: string;
  sample: string;
}

export function registerPlan(program: Command, wire: Wire): void {
  withHealthDeadline(
    specCommand(program, 'plan', 'observe the hosts over SSH/QMP and show what apply would change'),
    'and its pair is blocked',
  )
    .option('-o, --out <file>', 'save the plan to FILE; `colo apply FILE` then carries out exactly these actions')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option('--refresh-only', 'only show what changed outside colo; plan no actions')
    .option('--destroy', 'plan the destruction of every pair in the spec')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock held by a command that changes it', '0s')
    .option('--sample <duration>', 'how long to sample the checkpoints of pairs in COLO for advice (0s: none)', '1s')
    .action(
      wire(async (raw: unknown) => {
        const opts = raw as PlanOptions;
        if (opts.refreshOnly && opts.destroy)
          throw new UserError('--refresh-only and --destroy cannot be used together');
        const view = opts.json ? new PlanJson(processOutput) : new PlanHuman(processOutput, styleFor(opts));
        const { spec, text } = await loadSpecSourceOrFail(opts.file);
        const qmpDeadlineMs = healthDeadlineMs(opts.healthDeadline);
        const mode: PlanMode = opts.destroy ? 'destroy' : opts.refreshOnly ? 'refresh-only' : 'normal';
        const sampleMs = parseDuration(opts.sample, '--sample');
        const { plan, advice } = await withLockedSession(
          spec,
          opts,
          stateLockFor(opts, 'plan'),
          async (session, store) => {
            const state = await store.read();
            const { plan, observation } = await makePlan(session, state, mode, { qmpDeadlineMs, specText: text });
            if (sampleMs === 0 || mode === 'destroy') return { plan, advice: [] };
            const samples = await sampleCheckpoints(session, state, observation, { windowMs: sampleMs });
            const statuses = pairStatuses(spec, state, observation, figuresByVm(samples));
            return { plan, advice: statuses.flatMap((p) => p.advice) };
          },
        );
        if (opts.out) await writePlanFile(opts.out, plan, text);
        view.plan(plan, { ...(opts.out ? { savedTo: opts.out } : {}), advice });
        // A blocked pair (host down, primary gone) is a difference too, even though apply cannot repair it.
        const changes =
          mode === 'refresh-only' ? plan.drift.length > 0 : planHasChanges(plan) || plan.blocked.length > 0;
        return opts.detailedExitcode && changes ? 2 : 0;
      }),
    );
}
