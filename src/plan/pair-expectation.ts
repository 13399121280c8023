/**
 * What a healthy pair looks like from QMP, derived from the spec by the renderers: the contract
 * between rendering (ids and argv) and the planner's health checks.
 */
export type Role = 'primary' | 'secondary';

export interface PairExpectation {
  /** Rendered argv of the QEMU started on `host` in `role` (peer = the other host of the pair). */
  argv(host: string, role: Role): string[];
  /** QOM ids the primary must have while in COLO (filter-mirror, redirectors, iothread, colo-compare). */
  primaryProxyObjects: string[];
  /** QOM ids a secondary started as secondary has (redirectors f1/f2, rewriter). */
  secondaryFilterObjects: string[];
  /** Per disk: the quorum node on the primary and the replication node that must be its child. */
  replication: { disk: string; quorum: string; child: string }[];
  /**
   * Block nodes of the resync mirror (its job's filter node, its NBD target) per disk: only present
   * on the primary while colo brings a pair into COLO, left behind when that was interrupted.
   */
  resyncNodes: string[];
  /** NBD export names the secondary must serve. */
  exports: string[];
  /** migrate parameters colo sets and checks. */
  migrateParams: Record<string, number>;
  /** colo-compare properties by object id. */
  compareProps: Record<string, Record<string, number>>;
}
