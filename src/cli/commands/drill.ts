/**
 * `colo drill VM`: a failover drill for CI smoke deployments and game days. Fails the pair over to
 * its secondary (stopping the primary first), checks the service on the new primary, re-protects,
 * verifies the pair, and with --back does it once more so the roles end where they started.
 */
import { Option, type Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { openSession, statePathFor } from '../run-context.ts';
import { readState, writeState } from '../../state/state-file.ts';
import { acquireLock, releaseOnExit } from '../../state/lock.ts';
import { failoverVms } from '../../engine/failover.ts';
import { makePlan } from '../../engine/make-plan.ts';
import { verifyVms, type ProbeKind, type VmVerification } from '../../engine/verify.ts';
import { silentHooks } from '../../engine/apply-hooks.ts';
import { plainHooks } from '../../ui/apply-progress.ts';
import { runApply } from '../run-apply.ts';
import { UserError } from '../user-error.ts';

interface DrillPhase {
  phase: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export function registerDrill(program: Command, setExit: SetExitCode): void {
  specCommand(
    program,
    'drill',
    'failover drill: fail VM over to its secondary, verify, re-protect, verify (and back with --back)',
  )
    .argument('<vm>', 'the VM pair to drill')
    .option('--back', 'fail over a second time so the roles end where they started')
    .addOption(
      new Option('--probe <kind>', 'service check through the primary: http, tcp or none')
        .choices(['http', 'tcp', 'none'])
        .default('http'),
    )
    .action(async (...args: unknown[]) => {
      const name = args[0] as string;
      const opts = args[1] as SpecOptions & { back?: boolean; probe: ProbeKind };
      const spec = await loadSpecOrFail(opts.file);
      const vm = spec.vms.find((v) => v.name === name);
      if (!vm)
        throw new UserError(`no VM named ${name} in ${opts.file} (VMs: ${spec.vms.map((v) => v.name).join(', ')})`);
      const statePath = statePathFor(opts);
      const lock = await acquireLock(statePath, 'drill');
      const unhook = releaseOnExit(lock);
      const { session, close } = openSession(spec, opts);
      const phases: DrillPhase[] = [];
      const say = (l: string) => {
        if (!opts.json) process.stdout.write(`${l}\n`);
      };
      const phase = async (label: string, fn: () => Promise<string>) => {
        const t0 = performance.now();
        try {
          const detail = await fn();
          const p = { phase: label, ok: true, ms: Math.round(performance.now() - t0), detail };
          phases.push(p);
          say(`drill ${name}: ${label}: ok in ${p.ms} ms (${detail})`);
        } catch (err) {
          const p = { phase: label, ok: false, ms: Math.round(performance.now() - t0), detail: (err as Error).message };
          phases.push(p);
          say(`drill ${name}: ${label}: FAILED after ${p.ms} ms: ${p.detail}`);
          throw err;
        }
      };
      const verified = (list: VmVerification[]) => {
        const v = list[0]!;
        if (!v.ok)
          throw new Error(
            v.checks
              .filter((c) => !c.ok)
              .map((c) => c.detail)
              .join('; '),
          );
        return v.checks.map((c) => c.name).join(', ');
      };
      try {
        const rounds = opts.back ? 2 : 1;
        for (let round = 1; round <= rounds; round++) {
          const suffix = rounds > 1 ? ` (round ${round})` : '';
          await phase(`verify before${suffix}`, async () =>
            verified(await verifyVms(session, spec, [vm], await readState(statePath), { probe: opts.probe })),
          );
          await phase(`failover to the secondary${suffix}`, async () => {
            const state = await readState(statePath);
            const r = await failoverVms(session, spec, [vm], state, {
              to: 'secondary',
              fencedByOperator: [],
              force: true,
            });
            if (r.errors.length > 0) throw r.errors[0]!.error;
            if (state) await writeState(statePath, { ...state, vms: { ...state.vms, ...r.states } });
            return r.results[0]!.message.split(' Run "colo apply"')[0]!;
          });
          await phase(`service on the new primary${suffix}`, async () =>
            verified(
              await verifyVms(session, spec, [vm], await readState(statePath), {
                probe: opts.probe,
                serviceOnly: true,
              }),
            ),
          );
          await phase(`re-protect${suffix}`, async () => {
            const state = await readState(statePath);
            const { plan } = await makePlan(session, state, 'normal');
            plan.steps = plan.steps.filter((s) => !s.vm || s.vm === name);
            if (plan.blocked.some((b) => b.vm === name))
              throw new Error(plan.blocked.find((b) => b.vm === name)!.reason);
            const progress = opts.json
              ? { hooks: silentHooks }
              : { hooks: plainHooks((l) => process.stdout.write(`  ${l}\n`)) };
            const { summary } = await runApply({ session, spec, plan, state, statePath, progress });
            return summary;
          });
          await phase(`verify after${suffix}`, async () =>
            verified(await verifyVms(session, spec, [vm], await readState(statePath), { probe: opts.probe })),
          );
        }
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ format_version: '1.0', vm: name, ok: true, phases }, null, 2)}\n`);
        else say(`drill ${name}: passed (${phases.reduce((a, p) => a + p.ms, 0)} ms in all)`);
        setExit(0);
      } catch (err) {
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ format_version: '1.0', vm: name, ok: false, phases }, null, 2)}\n`);
          setExit(1);
          return;
        }
        throw new UserError(
          `drill ${name} failed at "${phases[phases.length - 1]?.phase ?? 'start'}": ${(err as Error).message}`,
        );
      } finally {
        await close();
        unhook();
        await lock.release();
      }
    });
}
