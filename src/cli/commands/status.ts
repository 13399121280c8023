/** `colo status`: where each VM pair stands now (observed, not planned). */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { specCommand, type SpecOptions } from '../common-options.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { statePathFor, withSession } from '../run-context.ts';
import { processOutput, styleFor } from '../output.ts';
import { readState } from '../../state/state-file.ts';
import { observeAll } from '../../engine/observe.ts';
import { pairStatuses } from '../../plan/pair-status.ts';
import { StatusHuman } from '../../ui/views/status/status-human.ts';
import { StatusJson } from '../../ui/views/status/status-json.ts';

export function registerStatus(program: Command, wire: Wire): void {
  specCommand(
    program,
    'status',
    'show each VM pair: hosts and roles, COLO mode, migration, checkpoint settings, health, last failover',
  ).action(
    wire(async (raw: unknown) => {
      const opts = raw as SpecOptions;
      const view = opts.json ? new StatusJson(processOutput) : new StatusHuman(processOutput, styleFor(opts));
      const spec = await loadSpecOrFail(opts.file);
      const state = await readState(statePathFor(opts));
      const obs = await withSession(spec, opts, (session) => observeAll(session, state));
      view.status(pairStatuses(spec, state, obs));
      return 0;
    }),
  );
}
