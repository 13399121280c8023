/**
 * What observation (src/engine/observe.ts) found on the hosts: plain data, the input of the pure
 * planner next to the spec and the state.
 */

export interface ObservedHost {
  name: string;
  reachable: boolean;
  /** Why the host could not be observed (connection refused, host key refused, ...). */
  error?: string;
  /** The error's class name (HostKeyError, TransportError, ...). */
  errorKind?: string;
  /** `qemu-system-x86_64 --version` parsed, when the binary ran. */
  qemuVersion?: { major: number; minor: number; micro: number; text: string };
  /** Error running the QEMU binary (missing, not executable). */
  qemuError?: string;
  workDirExists: boolean;
  /** Why the existing work directory is not private to the SSH user (absent: it is, or unknown). */
  workDirUnsafe?: string;
  /** /dev/kvm is readable and writable (accel auto then picks kvm). */
  kvm?: boolean;
  /** Whether the QEMU binary was built with GnuTLS; observed only on a host with a tls.dir. */
  gnutls?: boolean;
  /** The TLS credentials files in the host's tls.dir: readable or not, and their octal mode. */
  tlsFiles?: { name: string; readable: boolean; mode?: string }[];
}

export type ColoMode = 'none' | 'primary' | 'secondary';

/** One QEMU process of a VM on one host, as found. */
export interface ObservedQemu {
  host: string;
  /** Process alive by its pid file. */
  alive: boolean;
  pid?: number;
  /** The argv it runs with (from /proc/PID/cmdline). */
  argv?: string[];
  /** Whether it was started with -incoming (i.e. as a secondary). */
  startedAs?: 'primary' | 'secondary';
  /** QMP reachable and answering. */
  qmpError?: string;
  /**
   * The process runs but its QMP gave no greeting or first answer within the health deadline: hung
   * (SIGSTOPped, or its main loop stuck on a lost peer), not down. qmpError says what timed out.
   */
  hung?: { deadlineMs: number };
  /** The process is stopped (state T in /proc: SIGSTOP, or a debugger): it cannot answer anything. */
  stopped?: boolean;
  runStatus?: string; // query-status .status (running, paused, inmigrate, ...)
  coloMode?: ColoMode;
  coloReason?: string;
  migrateStatus?: string; // query-migrate .status
  migrateParams?: Record<string, unknown>;
  /** QOM object ids under /objects (filters, colo-compare, iothreads). */
  objects?: string[];
  /** chardev labels */
  chardevs?: string[];
  /** node names from query-named-block-nodes */
  blockNodes?: string[];
  /** children names of each quorum node: node name -> child node names */
  quorumChildren?: Record<string, string[]>;
  /** NBD export names (query-block-exports) */
  nbdExports?: string[];
  /** colo-compare properties by object id */
  compareProps?: Record<string, Record<string, unknown>>;
  /** virtio devices stuck in the disabled state (QOM paths) */
  virtioDisabled?: string[];
  /** Lines on the serial console that show a guest crash (panic, oops). */
  consoleCrash?: string[];
  /**
   * Health queries that failed or timed out (query-status, query-colo-status, x-query-virtio-status),
   * each with its reason: what they would have told is unknown, and unknown is never healthy.
   */
  healthUnknown?: { query: string; detail: string }[];
}

export interface ObservedVm {
  name: string;
  /** keyed by host name */
  qemu: Record<string, ObservedQemu>;
}

export interface Observation {
  hosts: Record<string, ObservedHost>;
  vms: Record<string, ObservedVm>;
  /** Wall time of the observation, ms (for benchmarks and messages). */
  tookMs: number;
}
