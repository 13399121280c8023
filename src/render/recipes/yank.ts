/**
 * Freeing a failover's survivor from its lost peer with QEMU's yank (qapi/yank.json, QEMU >= 6.0):
 * `yank` shuts the connection of an instance down at once, so whatever waits on the peer (an NBD
 * write of the replication child, a proxy chardev, the COLO migration stream) fails instead of
 * hanging on a peer that is stopped or cut off. Both commands are out-of-band: QEMU's monitor thread
 * answers them even while its main loop waits on the peer (on a connection that negotiated `oob`).
 * Only instances that face the peer, and only those `query-yank` lists; nothing else is touched
 * (the QMP monitor's own chardev is a yank instance too). A QEMU without yank or OOB skips it all:
 * every command tolerates any error, the failover recipe then goes on as before.
 */
import type { VmSpec } from '../../spec/types.ts';
import { diskIds, nicIds } from '../ids.ts';
import { cmd, query, where } from './build.ts';
import type { Json, PathStep, QmpRecipe, QmpStep } from './types.ts';

/** The fact query-yank's reply is kept under. */
export const YANK_FACT = 'yank-instances';
/** Per instance yanked, the label of its command: `yank <instance name>`. */
export const YANK_LABEL = 'yank ';
const YANK_COMMAND_MS = 2_000;

export interface YankTarget {
  /** How colo names it in progress and results: `migration`, `chardev red0-lan`, `block-node nbd-disk0`. */
  name: string;
  instance: Record<string, Json>;
  /** Finds it in query-yank's list. */
  find: PathStep;
}

const migration: YankTarget = { name: 'migration', instance: { type: 'migration' }, find: where('type', 'migration') };
const chardev = (id: string): YankTarget => ({
  name: `chardev ${id}`,
  instance: { type: 'chardev', id },
  find: where('id', id),
});
const blockNode = (node: string): YankTarget => ({
  name: `block-node ${node}`,
  instance: { type: 'block-node', 'node-name': node },
  find: where('node-name', node),
});

/**
 * What connects a survivor to its peer. The primary: the NBD clients of each disk's replication
 * child and resync mirror, the TCP proxy servers the secondary is connected to, the migration. The
 * secondary: its proxy chardevs to the primary, the incoming migration (its NBD server is no yank
 * instance; the promotion stops it).
 */
export function yankTargets(vm: VmSpec, survivor: 'primary' | 'secondary'): YankTarget[] {
  const nics = vm.netdevs.map(nicIds);
  if (survivor === 'secondary')
    return [...nics.flatMap((n) => [chardev(n.secMirror), chardev(n.secCompare)]), migration];
  return [
    ...vm.disks.flatMap((d) => [blockNode(diskIds(d).nbd), blockNode(diskIds(d).mirrorTarget)]),
    ...nics.flatMap((n) => [chardev(n.mirror), chardev(n.compareIn)]),
    migration,
  ];
}

export function renderYank(vm: VmSpec, host: string, survivor: 'primary' | 'secondary'): QmpRecipe {
  const steps: QmpStep[] = yankTargets(vm, survivor).map((t) => ({
    command: { ...cmd('yank', { instances: [t.instance] }), oob: true },
    when: { at: { fact: YANK_FACT, path: [t.find] }, present: true },
    tolerate: { anyError: true },
    label: `${YANK_LABEL}${t.name}`,
  }));
  return {
    kind: 'qmp',
    name: `yank-${survivor}`,
    summary: `the ${survivor} freed from its lost peer: each of its connections to it yanked (out-of-band)`,
    vm: vm.name,
    role: survivor,
    hosts: { [survivor]: host },
    ops: [
      {
        op: 'query',
        queries: [query(YANK_FACT, { ...cmd('query-yank'), oob: true }, { onError: 'absent' })],
        timeoutMs: YANK_COMMAND_MS,
      },
      { op: 'send', phase: 'yank', steps, timeoutMs: YANK_COMMAND_MS },
    ],
  };
}

/** The names of the instances a run of renderYank yanked (their command returned), in recipe order. */
export function yankedInstances(succeeded: Record<string, boolean>): string[] {
  return Object.entries(succeeded)
    .filter(([label, ok]) => ok && label.startsWith(YANK_LABEL))
    .map(([label]) => label.slice(YANK_LABEL.length));
}
