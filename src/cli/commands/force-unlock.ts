/** `colo force-unlock ID`: remove a stuck state lock, only when the ID matches. */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { forceUnlock } from '../../state/lock.ts';
import { statePathFor } from '../run-context.ts';

export function registerForceUnlock(program: Command, wire: Wire): void {
  program
    .command('force-unlock')
    .description('remove the state lock left by an interrupted colo (give the lock ID shown in the error)')
    .argument('<id>', 'lock ID')
    .option('-f, --file <path>', 'spec file (locates the default state)', 'colo.yaml')
    .option('--state <path>', 'state file')
    .action(
      wire(async (id: string, opts: { file: string; state?: string }) => {
        const info = await forceUnlock(statePathFor(opts), id);
        process.stdout.write(
          `colo state has been successfully unlocked! (was held by ${info.who} for ${info.operation} since ` +
            `${info.created})\n`,
        );
        return 0;
      }),
    );
}
