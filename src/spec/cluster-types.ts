/**
 * The resolved `cluster:` section: the corosync totem settings every cluster of the spec shares,
 * each cluster host's knet addresses and fencing, and the optional quorum device (corosync-qnetd).
 * Absent from `Spec` when the spec has no `cluster:` (manual mode).
 */

/** How Pacemaker powers a host off: a fence agent with parameters, or the host's own fence.command. */
export type ClusterFencing =
  { kind: 'agent'; agent: string; params: Record<string, string> } | { kind: 'fence-command' };

export interface ClusterHost {
  name: string;
  /** One address per knet link (1 or 2), link 0 first. */
  addresses: string[];
  fencing: ClusterFencing;
}

export interface ClusterSettings {
  /** Prefix of every corosync cluster_name colo writes. */
  name: string;
  tokenMs: number;
  knetPingIntervalMs: number;
  knetPingTimeoutMs: number;
  cryptoCipher: 'aes256' | 'aes192' | 'aes128';
  cryptoHash: 'sha256' | 'sha384' | 'sha512';
  /**
   * How corosync and pacemaker are started: their systemd units, or directly (no systemd:
   * src/render/cluster/direct-services.ts). Absent means systemd.
   */
  services?: 'systemd' | 'direct';
  /** Pacemaker's priority-fencing-delay; whole seconds. */
  priorityFencingDelayMs: number;
  /** By host name: the hosts that run a VM (primary or secondary). */
  hosts: Record<string, ClusterHost>;
  /** corosync-qnetd on a host that runs no VM of the clusters it serves. */
  qdevice?: { host: string; address: string; algorithm: 'ffsplit' | 'lms' };
}
