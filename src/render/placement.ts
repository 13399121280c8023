/**
 * Where a VM's two QEMUs run now and how the current primary came to be. The spec names the
 * initial primary; after failovers the state file knows better, and the engine passes it here.
 */
import type { VmSpec } from '../spec/types.ts';

export interface Placement {
  /** Host running (or about to run) the primary QEMU. */
  primary: string;
  /** Host running (or about to run) the secondary QEMU. */
  secondary: string;
  /**
   * The primary QEMU was started with the secondary argv and promoted by a failover: it has the
   * filter-rewriter rew-<nic> on every netdev (the primary's filters go before it) and had no proxy
   * chardevs on its command line.
   */
  primaryPromoted: boolean;
  /**
   * The primary's proxy chardevs (mirror0/compare1/compare0/compare0-0/compare_out/compare_out0
   * per NIC) exist: true when it was started with the primary argv or an earlier re-protect added
   * them with chardev-add. When false, the switchover adds them first.
   */
  primaryHasProxyChardevs: boolean;
}

/** Placement at first apply: the spec's primary started with the primary argv. */
export function initialPlacement(vm: VmSpec): Placement {
  return { primary: vm.primary, secondary: vm.secondary, primaryPromoted: false, primaryHasProxyChardevs: true };
}

/**
 * Placement after the secondary took over (primary host died, failover to the secondary): the old
 * secondary is the promoted primary; the old primary's host will run the next secondary.
 */
export function placementAfterFailoverToSecondary(p: Placement): Placement {
  return { primary: p.secondary, secondary: p.primary, primaryPromoted: true, primaryHasProxyChardevs: false };
}
