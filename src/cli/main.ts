/**
 * colo's command line: wiring only. Each command lives in src/cli/commands/<name>.ts and returns an
 * exit code; every error a user can cause is turned into a one-line cause on stderr and exit 1.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { COLO_VERSION } from '../version.ts';
import { describeError } from './describe-error.ts';
import { registerCommands } from './commands/index.ts';

export async function runCli(argv: string[]): Promise<number> {
  const program = new Command()
    .name('colo')
    .description('Declare QEMU COLO fault-tolerant VM pairs in YAML; plan, apply, fail over and re-protect them.')
    .version(COLO_VERSION, '-V, --version', 'print the colo version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
  let code = 0;
  registerCommands(program, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      return err.exitCode === 0 ? 0 : 1;
    }
    const { message, exitCode } = describeError(err);
    process.stderr.write(`Error: ${message}\n`);
    return exitCode;
  }
}
