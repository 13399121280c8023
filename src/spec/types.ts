/**
 * The resolved colo spec: what the YAML says after schema validation, defaults
 * inheritance, port allocation and normalisation of sizes and durations.
 * Everything downstream (render, engine) works on these types only; none of
 * them carries YAML or source positions.
 */
import type { ClusterSettings } from './cluster-types.ts';

export type * from './cluster-types.ts';

/** Where a value came from in the user's YAML, for diagnostics. */
export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export type Accel = 'kvm' | 'tcg' | 'auto';

export interface SshConfig {
  address: string;
  port: number; // default 22
  user: string; // default: current user
  /** Absolute path of a private key; when absent, the ssh-agent is used. */
  identityFile?: string;
  /** Use $SSH_AUTH_SOCK. True when no identityFile is given. */
  agent: boolean;
  /** Pinned host key, OpenSSH public key format ("ssh-ed25519 AAAA..."). */
  hostKey?: string;
}

export interface FenceConfig {
  /** argv run on the machine where colo runs (not on the host) to power the host off. Exit 0 = fenced. */
  command: string[];
  timeoutMs: number; // default 60000
  /** Local KEY=VALUE file passed to the command as environment (its secrets); `~/` expanded. */
  envFile?: string;
}

export interface HostSpec {
  name: string;
  /** SSH reachability; absent when local is true. */
  ssh?: SshConfig;
  /** Run commands on this machine directly, without SSH. */
  local: boolean;
  /** The address QEMU on other hosts uses to reach this host (migration, NBD, proxy). */
  replicationAddress: string;
  qemu: {
    binary: string; // default /usr/bin/qemu-system-x86_64
    img: string; // default /usr/bin/qemu-img
    /** Firmware directories, each rendered as -L DIR, in order. */
    firmware: string[];
    /** Run QEMU with its seccomp filter (-sandbox on,...). Default true. */
    sandbox: boolean;
    /** The user QEMU drops its privileges to once it has set up (-runas / -run-with user=). */
    runAs?: string;
  };
  /** Absolute directory where colo keeps sockets, pid files, logs and the images it creates. */
  workDir: string;
  fence?: FenceConfig;
  /** This host's x509 credentials for TLS pairs (the host's own tls.dir, else the top-level one). */
  tls?: HostTls;
}

/** A directory on the host in the layout QEMU's tls-creds-x509 reads (one per host; colo never copies it). */
export interface HostTls {
  /** Absolute path on the host: ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem. */
  dir: string;
}

export interface MachineSpec {
  type: string; // e.g. "q35", "pc"
  accel: Accel;
  cpu: string; // e.g. "qemu64"
  memoryMiB: number;
  smp: number;
}

export type BootSpec = { kind: 'kernel'; kernel: string; initrd?: string; append?: string } | { kind: 'disk' };

export type DiskInterface = 'virtio' | 'ide' | 'scsi';

export interface DiskSpec {
  /** Stable id, safe for QEMU ids and file names; the QEMU node names derive from it. */
  id: string;
  /** The user's image on the (initial) primary host. colo never deletes it. */
  image: string;
  format: 'qcow2' | 'raw';
  interface: DiskInterface;
  /**
   * Virtual size in bytes of the disk, when the user states it. When absent, colo reads it with
   * qemu-img info on the primary host at apply time.
   */
  sizeBytes?: number;
  /** Directory on the secondary host for its base copy and active/hidden overlays (default: the VM's work dir). */
  secondaryDir?: string;
  /** NBD export name for this disk on the secondary. */
  exportName: string;
}

export interface HostForward {
  protocol: 'tcp' | 'udp';
  /** Address on the host to bind; default: the host's replicationAddress. */
  hostAddress?: string;
  hostPort: number;
  guestPort: number;
}

export type NetBackend =
  | { kind: 'user'; hostForwards: HostForward[] }
  | { kind: 'tap'; ifname?: string; script?: string; downscript?: string }
  | { kind: 'bridge'; bridge: string; helper?: string };

export interface NetdevSpec {
  id: string;
  backend: NetBackend;
  /** QEMU device model, e.g. virtio-net-pci, e1000, rtl8139. */
  model: string;
  mac: string; // lower-case, colon separated
  /** true when the model is a virtio device: all COLO filters then need vnet_hdr_support. */
  vnetHdr: boolean;
}

export interface CheckpointPolicy {
  intervalMs: number; // x-checkpoint-delay
  compareTimeoutMs: number;
  expiredScanCycleMs: number;
  maxQueueSize: number;
  /** migrate max-bandwidth in bytes per second used for the switchover RAM copy. */
  maxBandwidthBytes: number;
  /**
   * migrate downtime-limit for the live switchover: QEMU pauses the guest for the last copy only when
   * the remaining RAM fits in this time at the measured bandwidth.
   */
  switchoverDowntimeMs: number;
}

/**
 * QMP `announce-self` on the survivor right after a failover (qapi/net.json AnnounceParameters): QEMU
 * sends a RARP for each NIC's MAC, and a virtio guest that supports it a gratuitous ARP, `rounds`
 * times, the first at once, then after initialMs, initialMs + stepMs, ... (each capped at maxMs), so
 * switches and clients learn at once where the VM's MAC and address went.
 */
export interface AnnounceSpec {
  rounds: number;
  initialMs: number;
  maxMs: number;
  stepMs: number;
}

export interface FailoverPolicy {
  /** false: no announcement (`failover.announce: false`). */
  announce: AnnounceSpec | false;
}

/** TCP ports a VM uses. Migration and NBD listen on the secondary; proxy ports on the primary. */
export interface VmPorts {
  migration: number;
  nbd: number;
  /** Per netdev, in netdev order: the primary's mirror server (secondary's red0 connects) and compare server (red1). */
  nics: { netdevId: string; mirror: number; compare: number }[];
}

export interface ExtraArgs {
  both: string[];
  primary: string[];
  secondary: string[];
}

export interface VmSpec {
  name: string;
  /** Host names, as declared in hosts. This is the *initial* primary; the state file tracks roles after failovers. */
  primary: string;
  secondary: string;
  machine: MachineSpec;
  boot: BootSpec;
  disks: DiskSpec[];
  netdevs: NetdevSpec[];
  checkpoint: CheckpointPolicy;
  failover: FailoverPolicy;
  ports: VmPorts;
  /** Serial console: written to a log file in the VM's work dir (used for crash detection). */
  extraArgs: ExtraArgs;
  /** true: every replication channel of the pair uses TLS with the hosts' `tls` credentials. Absent: plain TCP. */
  tls?: boolean;
}

export interface Spec {
  /** Absolute path of the spec file, for messages. */
  file: string;
  hosts: Record<string, HostSpec>;
  vms: VmSpec[];
  /** Automatic failover by Pacemaker + corosync; absent: manual mode. */
  cluster?: ClusterSettings;
}
