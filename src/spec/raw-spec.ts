/**
 * The spec as written in YAML, after schema validation has removed every value of the wrong shape.
 * Everything is optional (a value may be missing or have been pruned); list items may be undefined
 * (pruned) so that indexes keep matching the source for diagnostics.
 */

export type RawSize = number | string;
export type RawDuration = number | string;

export interface RawSsh {
  address?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  agent?: boolean;
  hostKey?: string;
}

export interface RawQemu {
  binary?: string;
  img?: string;
  firmware?: (string | undefined)[];
  sandbox?: boolean;
  runAs?: string;
}

export interface RawFence {
  command?: (string | undefined)[];
  timeout?: RawDuration;
  envFile?: string;
}

export interface RawHost {
  ssh?: RawSsh;
  local?: boolean;
  replicationAddress?: string;
  qemu?: RawQemu;
  workDir?: string;
  fence?: RawFence;
  tls?: { dir?: string };
}

export interface RawHostDefaults {
  ssh?: Omit<RawSsh, 'address' | 'hostKey'>;
  qemu?: RawQemu;
  workDir?: string;
}

export interface RawMachine {
  type?: string;
  accel?: 'kvm' | 'tcg' | 'auto';
  cpu?: string;
  memory?: RawSize;
  smp?: number;
}

export interface RawBoot {
  kernel?: string;
  initrd?: string;
  append?: string;
  disk?: boolean;
}

export interface RawDisk {
  id?: string;
  image?: string;
  format?: 'qcow2' | 'raw';
  interface?: 'virtio' | 'ide' | 'scsi';
  size?: RawSize;
  secondaryDir?: string;
  export?: string;
}

export interface RawHostForward {
  protocol?: 'tcp' | 'udp';
  hostAddress?: string;
  hostPort?: number;
  guestPort?: number;
}

export type RawBackend = 'user' | 'tap' | 'bridge';

export interface RawNetdev {
  id?: string;
  backend?: RawBackend;
  model?: string;
  mac?: string;
  hostForwards?: (RawHostForward | undefined)[];
  ifname?: string;
  script?: string;
  downscript?: string;
  bridge?: string;
  helper?: string;
}

export interface RawCheckpoint {
  interval?: RawDuration;
  compareTimeout?: RawDuration;
  expiredScanCycle?: RawDuration;
  maxQueueSize?: number;
  maxBandwidth?: RawSize;
  switchoverDowntime?: RawDuration;
}

export interface RawAnnounce {
  rounds?: number;
  initial?: RawDuration;
  max?: RawDuration;
  step?: RawDuration;
}

export interface RawFailover {
  announce?: boolean | RawAnnounce;
}

export interface RawNicPorts {
  mirror?: number;
  compare?: number;
}

export interface RawPorts {
  base?: number;
  migration?: number;
  nbd?: number;
  nics?: Record<string, RawNicPorts | undefined>;
}

export interface RawExtraArgs {
  both?: (string | undefined)[];
  primary?: (string | undefined)[];
  secondary?: (string | undefined)[];
}

export interface RawVm {
  primary?: string;
  secondary?: string;
  machine?: RawMachine;
  boot?: RawBoot;
  disks?: (RawDisk | undefined)[];
  netdevs?: (RawNetdev | undefined)[];
  checkpoint?: RawCheckpoint;
  failover?: RawFailover;
  ports?: RawPorts;
  extraArgs?: RawExtraArgs;
  tls?: { enabled?: boolean };
}

export interface RawDefaults {
  host?: RawHostDefaults;
  machine?: RawMachine;
  boot?: RawBoot;
  disk?: Pick<RawDisk, 'format' | 'interface' | 'secondaryDir'>;
  netdev?: Pick<RawNetdev, 'backend' | 'model' | 'bridge' | 'helper' | 'script' | 'downscript'>;
  checkpoint?: RawCheckpoint;
  failover?: RawFailover;
  ports?: { base?: number };
  extraArgs?: RawExtraArgs;
}

/** The top-level tls block: TLS for every pair, each host's credentials directory. */
export interface RawTls {
  enabled?: boolean;
  dir?: string;
}

export interface RawSpec {
  apiVersion?: string;
  hosts?: Record<string, RawHost | undefined>;
  defaults?: RawDefaults;
  tls?: RawTls;
  vms?: Record<string, RawVm | undefined>;
  cluster?: RawCluster;
}

/** The `cluster:` section as written. */
export interface RawCluster {
  name?: string;
  token?: RawDuration;
  knet?: { pingInterval?: RawDuration; pingTimeout?: RawDuration };
  crypto?: { cipher?: 'aes256' | 'aes192' | 'aes128'; hash?: 'sha256' | 'sha384' | 'sha512' };
  stonithEnabled?: boolean;
  services?: 'systemd' | 'direct';
  priorityFencingDelay?: RawDuration;
  qdevice?: { host?: string; algorithm?: 'ffsplit' | 'lms' };
  hosts?: Record<string, RawClusterHost | undefined>;
}

export interface RawClusterHost {
  addresses?: (string | undefined)[];
  fencing?: { agent?: string; params?: Record<string, string | number | boolean | undefined> };
}
