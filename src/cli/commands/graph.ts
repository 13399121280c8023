/** `colo graph`: the topology of the spec's VM pairs as text or Graphviz DOT (no host is contacted). */
import { Option, type Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { statePathFor } from '../run-context.ts';
import { readState } from '../../state/state-file.ts';
import { renderGraphText } from '../../ui/graph-text.ts';
import { renderGraphDot } from '../../ui/graph-dot.ts';
import { UserError } from '../user-error.ts';

export function registerGraph(program: Command, setExit: SetExitCode): void {
  program
    .command('graph')
    .description(
      'print the topology of each VM pair: hosts, QEMUs, disks, NICs, proxy links and ports (no host is contacted)',
    )
    .argument('[vm...]', 'VMs to draw (default: all)')
    .option('-f, --file <path>', 'spec file', 'colo.yaml')
    .option(
      '--state <path>',
      'state file whose roles to draw (default: .colo/state.json beside the spec file, when it exists)',
    )
    .addOption(
      new Option('--format <format>', 'text, or Graphviz DOT (dot -Tsvg)')
        .choices(['text', 'dot'] as const)
        .default('text' as const),
    )
    .action(async (names, opts) => {
      const spec = await loadSpecOrFail(opts.file);
      const unknown = names.filter((n) => !spec.vms.some((v) => v.name === n));
      if (unknown.length > 0)
        throw new UserError(
          `no VM named ${unknown.join(', ')} in ${opts.file} (VMs: ${spec.vms.map((v) => v.name).join(', ')})`,
        );
      const state = await readState(statePathFor(opts));
      process.stdout.write(
        opts.format === 'dot'
          ? renderGraphDot(spec, state, { vms: names })
          : renderGraphText(spec, state, { vms: names }),
      );
      setExit(0);
    });
}
