/**
 * COLO QMP sequences as data, grouped in phases: the engine sends a phase's commands in order,
 * stops at the first error, and waits for `waitFor` (if any) before the next phase. Pure.
 *
 * Start-up is the "mirror start" (lab-findings.md): primary running alone; secondary started with
 * -incoming and prepared (NBD export); the primary mirrors every disk to the secondary's export in
 * write-blocking mode (from READY on, every guest write reaches the secondary before it completes).
 * The switchover is live: with the guest still running, it adds the replication children and the
 * proxy objects and migrates with x-colo. QEMU copies the RAM while the guest runs and pauses it only
 * for the last dirty pages and the device state (at most `downtime-limit`), then starts COLO (no
 * `cont`). Until replication starts the replication children fail writes (the quorum's first child
 * carries them, threshold 1) and the mirror keeps the secondary's disk in step; once COLO runs, the
 * mirror jobs are cancelled. The same path re-protects after a failover in either direction.
 */
import type { QmpCommand } from './qmp-command.ts';
import type { CheckpointPolicy, Spec, VmSpec } from '../spec/types.ts';
import type { Dialect } from './dialect.ts';
import { diskIds, nicIds } from './ids.ts';
import { hostOf, vmPaths } from './paths.ts';
import type { Placement } from './placement.ts';
import { hostPort } from './qemu-syntax.ts';

export interface QmpWait {
  /** Wait until this event arrived for every job id (BLOCK_JOB_* events carry data.device = job id). */
  event: 'BLOCK_JOB_READY' | 'BLOCK_JOB_COMPLETED';
  jobIds: string[];
}

export interface QmpPhase {
  /** Stable phase name, e.g. "secondary-prepare", "switchover-wire". */
  name: string;
  commands: QmpCommand[];
  /**
   * Send all commands at once and check every reply (one round trip), instead of one command per
   * round trip stopping at the first error. Used for the switchover wiring.
   */
  pipelined?: boolean;
  waitFor?: QmpWait;
}

function cmd(execute: string, args?: Record<string, unknown>): QmpCommand {
  return args === undefined ? { execute } : { execute, arguments: args };
}

const X_COLO_ON = cmd('migrate-set-capabilities', { capabilities: [{ capability: 'x-colo', state: true }] });

/**
 * On the secondary (placement.secondary), after it started with -incoming and before the primary's
 * mirror: x-colo (8.1+), the NBD server on its replication address, one writable export per disk.
 */
export function renderSecondaryPrepare(spec: Spec, vm: VmSpec, placement: Placement, dialect: Dialect): QmpPhase[] {
  const host = hostOf(spec, placement.secondary);
  const commands: QmpCommand[] = [];
  if (dialect.secondaryNeedsXColo) commands.push(X_COLO_ON);
  commands.push(
    cmd('nbd-server-start', {
      addr: { type: 'inet', data: { host: host.replicationAddress, port: String(vm.ports.nbd) } },
    }),
  );
  for (const disk of vm.disks) {
    const ids = diskIds(disk);
    commands.push(cmd('nbd-server-add', { device: ids.parent, name: ids.exportName, writable: true }));
  }
  return [{ name: 'secondary-prepare', commands }];
}

/**
 * On the primary: per disk an NBD client node to the secondary's export and a full mirror of the
 * quorum into it, write-blocking so that, once READY, the copy stays in step with every guest
 * write while the guest runs. The engine waits BLOCK_JOB_READY for every job.
 */
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

function nbdClient(spec: Spec, vm: VmSpec, placement: Placement, nodeName: string, exportName: string): QmpCommand {
  const secondary = hostOf(spec, placement.secondary);
  return cmd('blockdev-add', {
    driver: 'nbd',
    'node-name': nodeName,
    server: { type: 'inet', host: secondary.replicationAddress, port: String(vm.ports.nbd) },
    export: exportName,
  });
}

/** chardev-add commands recreating the primary argv's proxy chardevs on a promoted primary. */
export function renderProxyChardevAdds(spec: Spec, vm: VmSpec, placement: Placement): QmpCommand[] {
  const host = hostOf(spec, placement.primary);
  const paths = vmPaths(spec, vm, placement.primary);
  const commands: QmpCommand[] = [];
  vm.netdevs.forEach((n, i) => {
    const ids = nicIds(n);
    const ports = vm.ports.nics[i];
    const np = paths.nics[i];
    if (!ports || ports.netdevId !== n.id || !np) throw new Error(`vm ${vm.name}: no ports for netdev ${n.id}`);
    const inet = (port: number) => ({ type: 'inet', data: { host: host.replicationAddress, port: String(port) } });
    const unix = (path: string) => ({ type: 'unix', data: { path } });
    const server = (id: string, addr: unknown) =>
      cmd('chardev-add', { id, backend: { type: 'socket', data: { addr, server: true, wait: false } } });
    const client = (id: string, addr: unknown) =>
      cmd('chardev-add', { id, backend: { type: 'socket', data: { addr, server: false } } });
    commands.push(
      server(ids.mirror, inet(ports.mirror)),
      server(ids.compareIn, inet(ports.compare)),
      server(ids.primaryIn, unix(np.primaryInSocket)),
      client(ids.primaryInClient, unix(np.primaryInSocket)),
      server(ids.compareOut, unix(np.compareOutSocket)),
      client(ids.compareOutClient, unix(np.compareOutSocket)),
    );
  });
  return commands;
}

/** object-add of the primary's filters, iothread and colo-compare for every NIC (flat properties). */
export function renderProxyObjectAdds(vm: VmSpec, placement: Placement): QmpCommand[] {
  const commands: QmpCommand[] = [];
  for (const n of vm.netdevs) {
    const ids = nicIds(n);
    const vnet = n.vnetHdr ? { vnet_hdr_support: true } : {};
    const before = placement.primaryPromoted ? { insert: 'before', position: `id=${ids.rewriter}` } : {};
    commands.push(
      cmd('object-add', {
        'qom-type': 'filter-mirror',
        id: ids.filterMirror,
        netdev: n.id,
        queue: 'tx',
        outdev: ids.mirror,
        ...vnet,
        ...before,
      }),
      cmd('object-add', {
        'qom-type': 'filter-redirector',
        id: ids.redirectorOut,
        netdev: n.id,
        queue: 'rx',
        indev: ids.compareOut,
        ...vnet,
        ...before,
      }),
      cmd('object-add', {
        'qom-type': 'filter-redirector',
        id: ids.redirectorIn,
        netdev: n.id,
        queue: 'rx',
        outdev: ids.primaryIn,
        ...vnet,
        ...before,
      }),
      cmd('object-add', { 'qom-type': 'iothread', id: ids.iothread }),
      cmd('object-add', {
        'qom-type': 'colo-compare',
        id: ids.compare,
        primary_in: ids.primaryInClient,
        secondary_in: ids.compareIn,
        outdev: ids.compareOutClient,
        iothread: ids.iothread,
        compare_timeout: vm.checkpoint.compareTimeoutMs,
        expired_scan_cycle: vm.checkpoint.expiredScanCycleMs,
        max_queue_size: vm.checkpoint.maxQueueSize,
        ...vnet,
      }),
    );
  }
  return commands;
}

/**
 * On the primary, once every mirror job is READY, with the guest running: x-colo and the migration
 * parameters, the replication children (their own NBD client nodes), the proxy (chardevs first on a
 * promoted primary that lacks them), then migrate. Afterwards the engine polls query-migrate for
 * "colo" and then runs renderResyncFinish.
 */
export function renderSwitchover(spec: Spec, vm: VmSpec, placement: Placement): QmpPhase[] {
  const replication: QmpCommand[] = [];
  for (const disk of vm.disks) {
    const ids = diskIds(disk);
    replication.push(
      nbdClient(spec, vm, placement, ids.nbd, ids.exportName),
      cmd('blockdev-add', { driver: 'replication', 'node-name': ids.replication, mode: 'primary', file: ids.nbd }),
      cmd('x-blockdev-change', { parent: ids.quorumNode, node: ids.replication }),
    );
  }
  const proxy: QmpCommand[] = [];
  if (!placement.primaryHasProxyChardevs) proxy.push(...renderProxyChardevAdds(spec, vm, placement));
  proxy.push(...renderProxyObjectAdds(vm, placement));
  const secondary = hostOf(spec, placement.secondary);
  return [
    { name: 'switchover-prepare', commands: [X_COLO_ON, switchoverParameters(vm.checkpoint)] },
    { name: 'switchover-wire', commands: [...replication, ...proxy], pipelined: true },
    {
      name: 'switchover-migrate',
      commands: [cmd('migrate', { uri: `tcp:${hostPort(secondary.replicationAddress, vm.ports.migration)}` })],
    },
  ];
}

/**
 * On the primary once COLO runs: cancel the resync mirrors (a READY job's cancel ends it without
 * switching the guest to the target) and delete their NBD nodes; replication carries the writes.
 */
export function renderResyncFinish(vm: VmSpec): QmpPhase[] {
  const jobIds = vm.disks.map((d) => diskIds(d).mirrorJob);
  return [
    {
      name: 'resync-cancel',
      commands: jobIds.map((id) => cmd('block-job-cancel', { device: id })),
      waitFor: { event: 'BLOCK_JOB_COMPLETED', jobIds },
    },
    {
      name: 'resync-cleanup',
      commands: vm.disks.map((d) => cmd('blockdev-del', { 'node-name': diskIds(d).mirrorTarget })),
    },
  ];
}

function switchoverParameters(c: CheckpointPolicy): QmpCommand {
  return cmd('migrate-set-parameters', {
    'x-checkpoint-delay': c.intervalMs,
    'max-bandwidth': c.maxBandwidthBytes,
    'downtime-limit': c.switchoverDowntimeMs,
  });
}

/** On the secondary when the primary died: it takes over as the (promoted) primary. */
export function renderFailoverSecondary(vm: VmSpec): QmpPhase[] {
  const nics = vm.netdevs.map(nicIds);
  return [
    {
      name: 'failover-secondary',
      commands: [
        cmd('nbd-server-stop'),
        cmd('x-colo-lost-heartbeat'),
        ...nics.flatMap((ids) => [
          cmd('object-del', { id: ids.secRedirectRx }),
          cmd('object-del', { id: ids.secRedirectTx }),
        ]),
        ...nics.flatMap((ids) => [
          cmd('chardev-remove', { id: ids.secCompare }),
          cmd('chardev-remove', { id: ids.secMirror }),
        ]),
      ],
    },
  ];
}

/**
 * On the primary when the secondary died: drop the replication children and the proxy objects,
 * then leave COLO. The proxy chardevs stay (a later re-protect reuses them).
 */
export function renderFailoverPrimary(vm: VmSpec): QmpPhase[] {
  const commands: QmpCommand[] = [];
  for (const disk of vm.disks) {
    const ids = diskIds(disk);
    commands.push(
      // The drive name: no mirror runs here, and it also works for a QEMU started before colo
      // named the quorum node.
      cmd('x-blockdev-change', { parent: ids.quorum, child: 'children.1' }),
      cmd('blockdev-del', { 'node-name': ids.replication }),
      cmd('blockdev-del', { 'node-name': ids.nbd }),
    );
  }
  for (const n of vm.netdevs) {
    const ids = nicIds(n);
    commands.push(
      cmd('object-del', { id: ids.compare }),
      cmd('object-del', { id: ids.iothread }),
      cmd('object-del', { id: ids.filterMirror }),
      cmd('object-del', { id: ids.redirectorOut }),
      cmd('object-del', { id: ids.redirectorIn }),
    );
  }
  commands.push(cmd('x-colo-lost-heartbeat'));
  return [{ name: 'failover-primary', commands }];
}

/**
 * On the primary while COLO runs: apply a changed checkpoint policy in place. Without `previous`,
 * every setting is sent; with it, only what differs (an empty list when nothing does).
 * x-checkpoint-delay and max-bandwidth via migrate-set-parameters; colo-compare's properties via qom-set.
 */
export function renderCheckpointUpdate(vm: VmSpec, previous?: CheckpointPolicy): QmpPhase[] {
  const c = vm.checkpoint;
  const changed = (k: keyof CheckpointPolicy) => previous === undefined || previous[k] !== c[k];
  const params: Record<string, number> = {};
  if (changed('intervalMs')) params['x-checkpoint-delay'] = c.intervalMs;
  if (changed('maxBandwidthBytes')) params['max-bandwidth'] = c.maxBandwidthBytes;
  const commands: QmpCommand[] = [];
  if (Object.keys(params).length > 0) commands.push(cmd('migrate-set-parameters', params));
  const props: [string, keyof CheckpointPolicy][] = [
    ['compare_timeout', 'compareTimeoutMs'],
    ['expired_scan_cycle', 'expiredScanCycleMs'],
    ['max_queue_size', 'maxQueueSize'],
  ];
  for (const n of vm.netdevs) {
    const path = `/objects/${nicIds(n).compare}`;
    for (const [property, key] of props) {
      if (changed(key)) commands.push(cmd('qom-set', { path, property, value: c[key] }));
    }
  }
  return commands.length === 0 ? [] : [{ name: 'checkpoint-update', commands }];
}
