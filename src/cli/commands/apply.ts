/** `colo apply [PLANFILE]`: make the hosts match the spec (or carry out a saved plan exactly). */
import type { Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { openSession, statePathFor } from '../run-context.ts';
import { readState } from '../../state/state-file.ts';
import { acquireLock, releaseOnExit } from '../../state/lock.ts';
import { makePlan } from '../../engine/make-plan.ts';
import { assertPlanFresh, readPlanFile } from '../../state/plan-file.ts';
import type { Plan, PlanMode } from '../../plan/plan-model.ts';
import { ApplyError } from '../../engine/apply.ts';
import { renderPlanHuman } from '../../ui/plan-human.ts';
import { pickStyle } from '../../ui/style.ts';
import { confirmOrFail } from '../confirm.ts';
import { runApply, type ChangeCounts } from '../run-apply.ts';
import { parseDuration } from '../parse-duration.ts';
import { UserError } from '../user-error.ts';

interface ApplyOptions extends SpecOptions {
  autoApprove?: boolean;
  lockTimeout: string;
}

/** The last --json line of a run in which no step failed (schemas/apply-events.schema.json, change_summary). */
export function changeSummaryEvent(
  message: string,
  changes: ChangeCounts,
  blocked: Plan['blocked'],
  now: Date = new Date(),
) {
  return {
    '@level': 'info' as const,
    '@message': message,
    '@timestamp': now.toISOString(),
    type: 'change_summary' as const,
    changes,
    blocked,
  };
}

/** The last --json line of a run in which steps failed (schemas/apply-events.schema.json, apply_failed). */
export function applyFailedEvent(err: ApplyError, now: Date = new Date()) {
  return {
    '@level': 'error' as const,
    '@message': err.message,
    '@timestamp': now.toISOString(),
    type: 'apply_failed' as const,
    failures: err.failures.map((f) => ({
      vm: f.vm ?? null,
      address: f.step.address,
      kind: f.step.kind,
      error: f.error.message,
    })),
  };
}

export function registerApplyLike(program: Command, setExit: SetExitCode, name: 'apply' | 'destroy'): void {
  const destroy = name === 'destroy';
  const cmd = specCommand(
    program,
    name,
    destroy
      ? 'stop both QEMUs of every pair and remove the files colo created (never your disk images)'
      : 'bring the hosts to the spec: start QEMUs, resync disks, start COLO; repair drift and re-protect ' +
          'degraded pairs',
  );
  if (!destroy) cmd.argument('[planfile]', 'a plan saved with `colo plan --out FILE`: carry out exactly that plan');
  cmd
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock (e.g. 30s)', '0s')
    .action(async (...args: unknown[]) => {
      const planFile = destroy ? undefined : (args[0] as string | undefined);
      const opts = (destroy ? args[0] : args[1]) as ApplyOptions;
      const statePath = statePathFor(opts);
      const saved = planFile ? await readPlanFile(planFile) : undefined;
      const spec = saved ? saved.spec : await loadSpecOrFail(opts.file);
      const lock = await acquireLock(statePath, name, {
        timeoutMs: parseDuration(opts.lockTimeout, '--lock-timeout'),
        onWait: () => process.stderr.write('Acquiring state lock. This may take a few moments...\n'),
      });
      const unhook = releaseOnExit(lock);
      const { session, close } = openSession(spec, opts);
      try {
        const state = await readState(statePath);
        let plan;
        if (saved) {
          assertPlanFresh(saved.plan, state, planFile!);
          plan = saved.plan;
        } else {
          const mode: PlanMode = destroy ? 'destroy' : 'normal';
          plan = (await makePlan(session, state, mode)).plan;
          if (!opts.json)
            process.stdout.write(renderPlanHuman(plan, pickStyle(process.stdout, !opts.color), { forApply: true }));
          if (plan.steps.length > 0 && !opts.autoApprove) {
            await confirmOrFail(
              destroy ? 'Do you really want to destroy all resources?' : 'Do you want to perform these actions?',
              destroy
                ? 'colo will destroy all your managed VM pairs. There is no undo.'
                : 'colo will perform the actions described above.',
            );
          }
        }
        let summary = 'No changes. Your infrastructure matches the configuration.';
        let changes: ChangeCounts = { add: 0, change: 0, remove: 0 };
        if (plan.steps.length > 0) {
          try {
            ({ summary, changes } = await runApply({
              session,
              spec,
              plan,
              state,
              statePath,
              ...(opts.json ? { json: true } : {}),
            }));
          } catch (err) {
            // The message still goes to stderr (main's error handler) and the exit code is 1.
            if (opts.json && err instanceof ApplyError)
              process.stdout.write(`${JSON.stringify(applyFailedEvent(err))}\n`);
            throw err;
          }
        } else if (plan.blocked.length > 0) summary = 'No changes applied.';
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(changeSummaryEvent(summary, changes, plan.blocked))}\n`
            : `${plan.steps.length > 0 ? '\n' : ''}${summary}\n`,
        );
        // Pairs apply could not repair (a host down, a primary gone): the run did not converge.
        if (plan.blocked.length > 0) {
          const lines = plan.blocked.map((b) => `  ${b.vm}: ${b.reason}${b.hint ? `\n    To resolve: ${b.hint}` : ''}`);
          if (opts.json) {
            setExit(1);
            return;
          }
          const what =
            plan.mode === 'destroy' ? 'could not be destroyed completely' : 'could not be brought to the spec';
          throw new UserError(
            `${plan.blocked.length} pair${plan.blocked.length === 1 ? '' : 's'} ${what} and ` +
              `${plan.blocked.length === 1 ? 'needs' : 'need'} your action:\n${lines.join('\n')}`,
          );
        }
        setExit(0);
      } finally {
        await close();
        unhook();
        await lock.release();
      }
    });
}
