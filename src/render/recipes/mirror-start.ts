/**
 * On the primary: per disk an NBD client node to the secondary's export and a full mirror of the
 * quorum into it, write-blocking so that, once READY, the copy stays in step with every guest
 * write while the guest runs. The recipe waits BLOCK_JOB_READY for every job.
 */
import type { QmpCommand } from '../qmp-command.ts';
import type { Spec, VmSpec } from '../../spec/types.ts';
import { diskIds } from '../ids.ts';
import { hostOf } from '../paths.ts';
import type { Placement } from '../placement.ts';
import { cmd } from './build.ts';
import { tlsArg } from '../tls.ts';
import type { QmpPhase } from './phase.ts';

export function renderMirrorStart(spec: Spec, vm: VmSpec, placement: Placement): QmpPhase[] {
  const commands: QmpCommand[] = [];
  for (const disk of vm.disks) {
    const ids = diskIds(disk);
    commands.push(
      nbdClient(spec, vm, placement, ids.mirrorTarget, ids.exportName),
      cmd('blockdev-mirror', {
        'job-id': ids.mirrorJob,
        device: ids.quorum,
        target: ids.mirrorTarget,
        sync: 'full',
        'copy-mode': 'write-blocking',
      }),
    );
  }
  return [
    {
      name: 'mirror-start',
      commands,
      waitFor: { event: 'BLOCK_JOB_READY', jobIds: vm.disks.map((d) => diskIds(d).mirrorJob) },
    },
  ];
}

/** blockdev-add of an NBD client node on the primary to the secondary's export of one disk. */
export function nbdClient(
  spec: Spec,
  vm: VmSpec,
  placement: Placement,
  nodeName: string,
  exportName: string,
): QmpCommand {
  const secondary = hostOf(spec, placement.secondary);
  return cmd('blockdev-add', {
    driver: 'nbd',
    'node-name': nodeName,
    server: { type: 'inet', host: secondary.replicationAddress, port: String(vm.ports.nbd) },
    export: exportName,
    ...tlsArg(vm, 'client'),
  });
}
