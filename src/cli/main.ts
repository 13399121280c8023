/**
 * colo's command line: wiring only. Each command lives in src/cli/commands/<name>.ts; its action
 * resolves to the exit code. Every error ends here, at the one catch: describeError turns it into a
 * one-line cause on stderr and its exit code.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { COLO_VERSION } from '../version.ts';
import { describeError } from './describe-error.ts';
import { ExitCode } from './exit-code.ts';
import { registerCommands } from './register-commands.ts';

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
  const exit = new ExitCode();
  registerCommands(program, exit);
  try {
    await program.parseAsync(argv);
    return exit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      return err.exitCode === 0 ? 0 : 1;
    }
    const { message, exitCode } = describeError(err);
    if (message !== null) process.stderr.write(`Error: ${message}\n`);
    return exitCode;
  }
}
