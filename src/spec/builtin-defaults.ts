/** colo's own defaults, used where neither the entity nor the spec's `defaults` says otherwise. */
import type { Accel, AnnounceSpec, CheckpointPolicy } from './types.ts';

export const API_VERSION = 'colo/v1';

export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_QEMU_BINARY = '/usr/bin/qemu-system-x86_64';
export const DEFAULT_QEMU_IMG = '/usr/bin/qemu-img';
export const DEFAULT_WORK_DIR = '/var/lib/colo';
export const DEFAULT_FENCE_TIMEOUT_MS = 60_000;

export const DEFAULT_MACHINE_TYPE = 'pc';
export const DEFAULT_ACCEL: Accel = 'auto';
export const DEFAULT_CPU = 'qemu64';
export const DEFAULT_MEMORY_MIB = 512;
export const DEFAULT_SMP = 1;

export const DEFAULT_DISK_FORMAT = 'qcow2';
export const DEFAULT_DISK_INTERFACE = 'virtio';
export const DEFAULT_NIC_MODEL = 'virtio-net-pci';

export const DEFAULT_CHECKPOINT: CheckpointPolicy = {
  intervalMs: 2000,
  compareTimeoutMs: 3000,
  expiredScanCycleMs: 3000,
  maxQueueSize: 1024,
  maxBandwidthBytes: 1024 ** 3,
  switchoverDowntimeMs: 50,
};

/** QEMU's own announce defaults (its migration parameters announce-initial/-max/-rounds/-step). */
export const DEFAULT_ANNOUNCE: AnnounceSpec = { rounds: 5, initialMs: 50, maxMs: 550, stepMs: 100 };

export const DEFAULT_PORT_BASE = 9000;

/**
 * Longest unix socket path colo accepts, in bytes. The kernel allows 107 (sun_path is 108 with the
 * NUL); keeping a margin leaves room for socket names added later.
 */
export const SOCKET_PATH_LIMIT = 100;

/** The `cluster:` section (../shared/reference/ha-engine.md: stable at token 300 with knet 100/1000 ms). */
export const DEFAULT_CLUSTER_NAME = 'colo';
export const DEFAULT_CLUSTER_TOKEN_MS = 300;
export const DEFAULT_KNET_PING_INTERVAL_MS = 100;
export const DEFAULT_KNET_PING_TIMEOUT_MS = 1000;
export const DEFAULT_PRIORITY_FENCING_DELAY_MS = 1000;
