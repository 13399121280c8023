/** `colo force-unlock ID`: remove a stuck state lock, only when the ID matches. */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { forceUnlock, LockError } from '../../state/lock.ts';
import { statePathFor } from '../run-context.ts';

/** force-unlock clears state locks; a host lock is a live flock that cannot be taken from its holder. */
const HOST_LOCK_NOTE = [
  'If colo refused with "Error acquiring the host lock of HOST", that is a host lock, not this state\'s',
  "lock: a live flock on <workDir>/.colo.lock held by the other colo command's SSH session. It cannot",
  'be force-unlocked; it is released as soon as that command exits, is killed or loses its connection.',
  'The refusal names its holder: stop that colo, or kill the lock PID it shows on the host.',
].join('\n');

export function registerForceUnlock(program: Command, wire: Wire): void {
  program
    .command('force-unlock')
    .description('remove the state lock left by an interrupted colo (give the lock ID shown in the error)')
    .argument('<id>', 'lock ID')
    .option('-f, --file <path>', 'spec file (locates the default state)', 'colo.yaml')
    .option('--state <path>', 'state file')
    .action(
      wire(async (id: string, opts: { file: string; state?: string }) => {
        const info = await forceUnlock(statePathFor(opts), id).catch((err: unknown) => {
          if (err instanceof LockError) throw new LockError(`${err.message}\n\n${HOST_LOCK_NOTE}`, err.holder);
          throw err;
        });
        process.stdout.write(
          `colo state has been successfully unlocked! (was held by ${info.who} for ${info.operation} since ` +
            `${info.created})\n`,
        );
        return 0;
      }),
    );
}
