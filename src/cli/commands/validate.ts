/** `colo validate`: load the spec (YAML, schema, semantic checks) and report every problem. */
import type { Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';

export function registerValidate(program: Command, setExit: SetExitCode): void {
  program
    .command('validate')
    .description('check the spec file: YAML syntax, schema, host references, ports, names')
    .option('-f, --file <path>', 'spec file', 'colo.yaml')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const spec = await loadSpecOrFail(opts.file);
      if (opts.json) {
        const doc = { valid: true, file: opts.file, hosts: Object.keys(spec.hosts), vms: spec.vms.map((v) => v.name) };
        process.stdout.write(`${JSON.stringify(doc)}\n`);
      } else {
        process.stdout.write(
          `Success! ${opts.file} is valid: ${Object.keys(spec.hosts).length} hosts, ${spec.vms.length} VM ` +
            `pair${spec.vms.length === 1 ? '' : 's'}.\n`,
        );
      }
      setExit(0);
    });
}
