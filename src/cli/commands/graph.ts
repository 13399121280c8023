/** `colo graph`: the topology of the spec's VM pairs as text or Graphviz DOT (no host is contacted). */
import { Option, type Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { statePathFor } from '../run-context.ts';
import { processOutput } from '../output.ts';
import { selectVms } from '../select-vms.ts';
import { readState } from '../../state/state-file.ts';
import { graphView, type GraphFormat } from '../../ui/views/graph/graph-view.ts';

export function registerGraph(program: Command, wire: Wire): void {
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
    .action(
      wire(async (names: string[], opts: { file: string; state?: string; format: GraphFormat }) => {
        const spec = await loadSpecOrFail(opts.file);
        selectVms(spec, names, opts.file);
        const state = await readState(statePathFor(opts));
        graphView(opts.format, processOutput).graph(spec, state, names);
        return 0;
      }),
    );
}
