/**
 * On the primary while COLO runs: apply a changed checkpoint policy in place. Without `previous`,
 * every setting is sent; with it, only what differs (an empty list when nothing does).
 * x-checkpoint-delay and max-bandwidth via migrate-set-parameters; colo-compare's properties via qom-set.
 */
import type { QmpCommand } from '../qmp-command.ts';
import type { CheckpointPolicy, VmSpec } from '../../spec/types.ts';
import { nicIds } from '../ids.ts';
import { cmd, eq, not, query, ref } from './build.ts';
import { sendPhase, type QmpPhase } from './phase.ts';
import type { QmpRecipe } from './types.ts';

export function renderCheckpointUpdate(vm: VmSpec, previous?: CheckpointPolicy): QmpPhase[] {
  const c = vm.checkpoint;
  const changed = (k: keyof CheckpointPolicy) => previous === undefined || previous[k] !== c[k];
  const params: Record<string, number> = {};
  if (changed('intervalMs')) params['x-checkpoint-delay'] = c.intervalMs;
  if (changed('maxBandwidthBytes')) params['max-bandwidth'] = c.maxBandwidthBytes;
  const commands: QmpCommand[] = [];
  if (Object.keys(params).length > 0) commands.push(cmd('migrate-set-parameters', params));
  const props: [string, keyof CheckpointPolicy][] = [
    ['compare_timeout', 'compareTimeoutMs'],
    ['expired_scan_cycle', 'expiredScanCycleMs'],
    ['max_queue_size', 'maxQueueSize'],
  ];
  for (const n of vm.netdevs) {
    const path = `/objects/${nicIds(n).compare}`;
    for (const [property, key] of props) {
      if (changed(key)) commands.push(cmd('qom-set', { path, property, value: c[key] }));
    }
  }
  return commands.length === 0 ? [] : [{ name: 'checkpoint-update', commands }];
}

/** The update (every setting: what the running pair holds is not known here), then a read-back. */
export function renderCheckpointUpdateRecipe(vm: VmSpec, primaryHost: string): QmpRecipe {
  const delay = ref('params', 'x-checkpoint-delay');
  return {
    kind: 'qmp',
    name: 'checkpoint-update',
    summary: 'the checkpoint policy applied in place on the running primary, then read back',
    vm: vm.name,
    role: 'primary',
    hosts: { primary: primaryHost },
    ops: [
      ...renderCheckpointUpdate(vm).map((p) => sendPhase(p)),
      {
        op: 'check',
        queries: [query('params', cmd('query-migrate-parameters'))],
        fail: [
          {
            when: not(eq(delay, vm.checkpoint.intervalMs)),
            message: [
              'x-checkpoint-delay is ',
              { value: delay },
              ` after the update, expected ${vm.checkpoint.intervalMs}`,
            ],
          },
        ],
      },
    ],
  };
}
