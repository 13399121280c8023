/** `colo status`: where each VM pair stands now (observed, not planned). */
import type { Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { openSession, statePathFor } from '../run-context.ts';
import { readState } from '../../state/state-file.ts';
import { observeAll } from '../../engine/observe.ts';
import { pairStatuses } from '../../plan/pair-status.ts';
import { renderStatusText } from '../../ui/status-text.ts';
import { pickStyle } from '../../ui/style.ts';

export function registerStatus(program: Command, setExit: SetExitCode): void {
  specCommand(
    program,
    'status',
    'show each VM pair: hosts and roles, COLO mode, migration, checkpoint settings, health, last failover',
  ).action(async (raw) => {
    const opts = raw as unknown as SpecOptions;
    const spec = await loadSpecOrFail(opts.file);
    const state = await readState(statePathFor(opts));
    const { session, close } = openSession(spec, opts);
    try {
      const obs = await observeAll(session, state);
      const list = pairStatuses(spec, state, obs);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ format_version: '1.0', vms: list }, null, 2)}\n`
          : renderStatusText(list, pickStyle(process.stdout, !opts.color)),
      );
      setExit(0);
    } finally {
      await close();
    }
  });
}
