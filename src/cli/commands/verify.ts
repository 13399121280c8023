/** `colo verify [VM...]`: end-to-end check of deployed pairs; non-zero with the reason when anything is off. */
import { Option, type Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { stateLockFor, withLockedSession } from '../run-context.ts';
import { parseDuration } from '../parse-duration.ts';
import { processOutput, styleFor } from '../output.ts';
import { selectVms } from '../select-vms.ts';
import { CommandFailed } from '../user-error.ts';
import { verifyVms, type ProbeKind } from '../../engine/verify.ts';
import { VerifyHuman } from '../../ui/views/verify/verify-human.ts';
import { VerifyJson } from '../../ui/views/verify/verify-json.ts';

export function registerVerify(program: Command, wire: Wire): void {
  specCommand(
    program,
    'verify',
    'check deployed pairs end to end: both sides in COLO, checkpoints advancing, no disabled virtio device, ' +
      'guest reachable',
  )
    .argument('[vm...]', 'VM pairs to verify (default: all)')
    .addOption(
      new Option('--probe <kind>', 'how to check the guest through the primary: http (GET /), tcp (connect), none')
        .choices(['http', 'tcp', 'none'])
        .default('http'),
    )
    .option('--lock-timeout <duration>', 'how long to wait for the state lock held by a command that changes it', '0s')
    .option('--sample <duration>', "how long to sample each pair's checkpoints for advice (0s: none)", '3s')
    .action(
      wire(async (names: string[], raw: unknown) => {
        const opts = raw as SpecOptions & { probe: ProbeKind; lockTimeout: string; sample: string };
        const sampleMs = parseDuration(opts.sample, '--sample');
        const view = opts.json ? new VerifyJson(processOutput) : new VerifyHuman(processOutput, styleFor(opts));
        const spec = await loadSpecOrFail(opts.file);
        const vms = selectVms(spec, names, opts.file, false);
        const list = await withLockedSession(spec, opts, stateLockFor(opts, 'verify'), async (session, store) =>
          verifyVms(session, spec, vms, await store.read(), { probe: opts.probe, sampleMs }),
        );
        view.verified(list);
        if (!list.every((v) => v.ok)) throw new CommandFailed(view.failure(list));
        return 0;
      }),
    );
}
