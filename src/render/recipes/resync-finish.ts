/**
 * On the primary once COLO runs: cancel the resync mirrors (a READY job's cancel ends it without
 * switching the guest to the target) and delete their NBD nodes; replication carries the writes.
 */
import type { VmSpec } from '../../spec/types.ts';
import { diskIds } from '../ids.ts';
import { cmd } from './build.ts';
import type { QmpPhase } from './phase.ts';

export function renderResyncFinish(vm: VmSpec): QmpPhase[] {
  const jobIds = vm.disks.map((d) => diskIds(d).mirrorJob);
  return [
    {
      name: 'resync-cancel',
      commands: jobIds.map((id) => cmd('block-job-cancel', { device: id })),
      waitFor: { event: 'BLOCK_JOB_COMPLETED', jobIds },
    },
    {
      name: 'resync-cleanup',
      commands: vm.disks.map((d) => cmd('blockdev-del', { 'node-name': diskIds(d).mirrorTarget })),
    },
  ];
}
