/**
 * After a failover, on the survivor: QMP `announce-self` with the spec's `failover.announce`
 * (qapi/net.json AnnounceParameters). QEMU sends a RARP for the MAC of each of the QEMU's NICs, the
 * first at once and the rest on its own timer, and asks a virtio guest that negotiated
 * VIRTIO_NET_F_GUEST_ANNOUNCE to send a gratuitous ARP: switches learn the port the VM's MAC is on
 * now, and clients' ARP caches follow at once instead of after an ageing timeout.
 *
 * Both directions. To the secondary, the VM's MAC moves to the secondary host's port: this is what
 * makes the network follow. To the primary (the secondary died), the MAC stays where it was; the
 * announcement is harmless there (a few broadcast frames) and refreshes any switch or cache that aged
 * the entry out while COLO held the guest's packets, so colo sends it in both, and the two failovers
 * behave alike. Absent (undefined) when the spec says `announce: false`.
 */
import type { VmSpec } from '../../spec/types.ts';
import { cmd } from './build.ts';
import type { QmpRecipe } from './types.ts';

/**
 * The name of colo's announce timer in QEMU (AnnounceParameters.id, QEMU >= 4.1): a re-run restarts
 * colo's rounds without touching another user's unnamed timer, and QEMU's trace tells colo's rounds
 * (`colo:<nic>:<mac>`) from the ones QEMU makes itself (`_:...`: a secondary whose incoming migration
 * ends at failover announces once more with the migration's announce parameters).
 */
export const ANNOUNCE_TIMER_ID = 'colo';

/** Time allowed for the command itself (QEMU answers at once; the rounds run on its timer). */
export const ANNOUNCE_COMMAND_MS = 5000;

export function renderAnnounce(vm: VmSpec, host: string, role: 'primary' | 'secondary'): QmpRecipe | undefined {
  const a = vm.failover.announce;
  if (a === false) return undefined;
  return {
    kind: 'qmp',
    name: 'announce-self',
    summary:
      `the survivor announces its NICs' MACs ${a.rounds} times (RARP; a gratuitous ARP from a virtio guest), ` +
      'so switches and clients follow the VM at once',
    vm: vm.name,
    role,
    hosts: { [role]: host },
    ops: [
      {
        op: 'send',
        steps: [
          {
            command: cmd('announce-self', {
              initial: a.initialMs,
              max: a.maxMs,
              rounds: a.rounds,
              step: a.stepMs,
              id: ANNOUNCE_TIMER_ID,
            }),
          },
        ],
        timeoutMs: ANNOUNCE_COMMAND_MS,
      },
    ],
  };
}
