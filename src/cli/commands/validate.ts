/** `colo validate`: load the spec (YAML, schema, semantic checks) and report every problem. */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { processOutput } from '../output.ts';
import { listenerWarnings } from '../../plan/listener-warnings.ts';
import { validateHuman, validateJson } from '../../ui/views/validate/validate-view.ts';

export function registerValidate(program: Command, wire: Wire): void {
  program
    .command('validate')
    .description('check the spec file: YAML syntax, schema, host references, ports, names')
    .option('-f, --file <path>', 'spec file', 'colo.yaml')
    .option('--json', 'print the result as JSON')
    .action(
      wire(async (opts: { file: string; json?: boolean }) => {
        const spec = await loadSpecOrFail(opts.file);
        for (const w of listenerWarnings(spec)) process.stderr.write(`${opts.file}: warning: ${w}\n`);
        (opts.json ? validateJson : validateHuman)(processOutput).valid(opts.file, spec);
        return 0;
      }),
    );
}
