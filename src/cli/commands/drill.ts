/**
 * `colo drill VM`: a failover drill for CI smoke deployments and game days (src/engine/drill.ts runs
 * it): fail over to the secondary, check the service, re-protect, verify; and back with --back.
 */
import { Option, type Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { processOutput } from '../output.ts';
import { selectVms } from '../select-vms.ts';
import { CommandFailed } from '../user-error.ts';
import { drill } from '../../engine/drill.ts';
import type { ProbeKind } from '../../engine/verify.ts';
import { DrillHuman } from '../../ui/views/drill/drill-human.ts';
import { DrillJson } from '../../ui/views/drill/drill-json.ts';

type DrillCliOptions = SpecOptions & { back?: boolean; probe: ProbeKind; lockTimeout: string };

async function runDrill(name: string, opts: DrillCliOptions): Promise<number> {
  const view = opts.json ? new DrillJson(processOutput) : new DrillHuman(processOutput, name);
  const spec = await loadSpecOrFail(opts.file);
  const [vm] = selectVms(spec, [name], opts.file);
  const lock = stateLockFor(opts, 'drill');
  const result = await withLockedSession(spec, opts, lock, (session, store) =>
    drill(session, store, vm!, { back: !!opts.back, probe: opts.probe }, view.hooks()),
  );
  view.result(result);
  if (!result.ok) throw new CommandFailed(view.failure(result));
  return 0;
}

export function registerDrill(program: Command, wire: Wire): void {
  specCommand(
    program,
    'drill',
    'failover drill: fail VM over to its secondary, verify, re-protect, verify (and back with --back)',
  )
    .argument('<vm>', 'the VM pair to drill')
    .option('--back', 'fail over a second time so the roles end where they started')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock', '0s')
    .addOption(
      new Option('--probe <kind>', 'service check through the primary: http, tcp or none')
        .choices(['http', 'tcp', 'none'])
        .default('http'),
    )
    .action(wire(async (name: string, raw: unknown) => runDrill(name, raw as DrillCliOptions)));
}
