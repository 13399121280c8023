/** `colo verify [VM...]`: end-to-end check of deployed pairs; non-zero with the reason when anything is off. */
import { Option, type Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { openSession, statePathFor } from '../run-context.ts';
import { readState } from '../../state/state-file.ts';
import { verifyVms, type ProbeKind, type VmVerification } from '../../engine/verify.ts';
import { UserError } from '../user-error.ts';
import { pickStyle, type Style } from '../../ui/style.ts';

export function renderVerification(list: VmVerification[], st: Style): string {
  const out: string[] = [];
  for (const v of list) {
    out.push(
      `${st.bold(v.vm)}: ${v.ok ? st.green('OK') : st.red('FAILED')} (${v.primary} primary, ${v.secondary} ` +
        `secondary, ${v.ms} ms)`,
    );
    for (const c of v.checks)
      out.push(`  ${c.ok ? st.green('ok  ') : st.red('FAIL')} ${c.name.padEnd(11)} ${c.detail}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerVerify(program: Command, setExit: SetExitCode): void {
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
    .action(async (...args: unknown[]) => {
      const names = args[0] as string[];
      const opts = args[1] as SpecOptions & { probe: ProbeKind };
      const spec = await loadSpecOrFail(opts.file);
      const unknown = names.filter((n) => !spec.vms.some((v) => v.name === n));
      if (unknown.length > 0) throw new UserError(`no VM named ${unknown.join(', ')} in ${opts.file}`);
      const vms = spec.vms.filter((v) => names.length === 0 || names.includes(v.name));
      const state = await readState(statePathFor(opts));
      const { session, close } = openSession(spec, opts);
      try {
        const list = await verifyVms(session, spec, vms, state, { probe: opts.probe });
        const ok = list.every((v) => v.ok);
        if (opts.json) process.stdout.write(`${JSON.stringify({ format_version: '1.0', ok, vms: list }, null, 2)}\n`);
        else process.stdout.write(renderVerification(list, pickStyle(process.stdout, !opts.color)));
        if (!ok) {
          const failed = list
            .filter((v) => !v.ok)
            .map(
              (v) =>
                `${v.vm}: ${v.checks
                  .filter((c) => !c.ok)
                  .map((c) => c.detail)
                  .join('; ')}`,
            );
          if (opts.json) {
            setExit(1);
            return;
          }
          throw new UserError(
            `verify failed for ${failed.length} pair${failed.length === 1 ? '' : 's'}: ${failed.join(' | ')}`,
          );
        }
        setExit(0);
      } finally {
        await close();
      }
    });
}
