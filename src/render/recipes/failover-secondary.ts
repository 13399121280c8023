/**
 * Failover on the secondary when the primary died: it takes over as the (promoted) primary. The
 * recipe may run again after a partial failover (what is already gone is tolerated) and is
 * retried while the secondary still loads a checkpoint.
 */
import type { VmSpec } from '../../spec/types.ts';
import { nicIds } from '../ids.ts';
import { cmd, steps } from './build.ts';
import { PHASE_COMMAND_MS, type QmpPhase } from './phase.ts';
import type { QmpRecipe, QmpStep, Tolerance } from './types.ts';

export function renderFailoverSecondary(vm: VmSpec): QmpPhase[] {
  const nics = vm.netdevs.map(nicIds);
  return [
    {
      name: 'failover-secondary',
      commands: [
        cmd('nbd-server-stop'),
        cmd('x-colo-lost-heartbeat'),
        ...nics.flatMap((ids) => [
          cmd('object-del', { id: ids.secRedirectRx }),
          cmd('object-del', { id: ids.secRedirectTx }),
        ]),
        ...nics.flatMap((ids) => [
          cmd('chardev-remove', { id: ids.secCompare }),
          cmd('chardev-remove', { id: ids.secMirror }),
        ]),
      ],
    },
  ];
}

const GONE: Tolerance = { qmpErrorMatching: "not found|doesn't exist|does not exist|Chardev '.*' not found" };

/** What a re-run after a partial failover finds already done. */
function tolerance(execute: string): Tolerance | undefined {
  if (execute === 'nbd-server-stop') return { qmpErrorMatching: 'not running' };
  if (execute === 'object-del' || execute === 'chardev-remove') return GONE;
  return undefined;
}

export function renderPromoteSecondary(vm: VmSpec, host: string): QmpRecipe {
  const [phase] = renderFailoverSecondary(vm);
  const withTolerance: QmpStep[] = steps(phase!.commands).map((s) => {
    const t = tolerance(s.command.execute);
    return t ? { ...s, tolerate: t } : s;
  });
  return {
    kind: 'qmp',
    name: 'promote-secondary',
    summary: 'the secondary takes over as the primary (its primary is gone and fenced)',
    vm: vm.name,
    role: 'secondary',
    hosts: { secondary: host },
    ops: [{ op: 'send', phase: phase!.name, steps: withTolerance, timeoutMs: PHASE_COMMAND_MS }],
    retry: { qmpErrorMatching: 'loading VMstate|processing', times: 50, delayMs: 100 },
  };
}
