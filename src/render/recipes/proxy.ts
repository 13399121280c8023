/**
 * The primary's network proxy over QMP: the chardevs a promoted primary lacks (its argv was the
 * secondary's), and the filters, iothread and colo-compare the switchover adds for every NIC.
 */
import type { QmpCommand } from '../qmp-command.ts';
import type { Spec, VmSpec } from '../../spec/types.ts';
import { nicIds } from '../ids.ts';
import { hostOf, vmPaths } from '../paths.ts';
import type { Placement } from '../placement.ts';
import { cmd } from './build.ts';
import { tlsArg } from '../tls.ts';

/** Ids of the primary's proxy chardevs, per NIC in argv order. */
export function proxyChardevIds(vm: VmSpec): string[] {
  return vm.netdevs.flatMap((n) => {
    const ids = nicIds(n);
    return [ids.mirror, ids.compareIn, ids.primaryIn, ids.primaryInClient, ids.compareOut, ids.compareOutClient];
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
    const server = (id: string, addr: unknown, tls = {}) =>
      cmd('chardev-add', { id, backend: { type: 'socket', data: { addr, server: true, wait: false, ...tls } } });
    const client = (id: string, addr: unknown) =>
      cmd('chardev-add', { id, backend: { type: 'socket', data: { addr, server: false } } });
    commands.push(
      server(ids.mirror, inet(ports.mirror), tlsArg(vm, 'server')),
      server(ids.compareIn, inet(ports.compare), tlsArg(vm, 'server')),
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
    const filter = (type: string, id: string, queue: string, dev: Record<string, string>) =>
      cmd('object-add', { 'qom-type': type, id, netdev: n.id, queue, ...dev, ...vnet, ...before });
    commands.push(
      filter('filter-mirror', ids.filterMirror, 'tx', { outdev: ids.mirror }),
      filter('filter-redirector', ids.redirectorOut, 'rx', { indev: ids.compareOut }),
      filter('filter-redirector', ids.redirectorIn, 'rx', { outdev: ids.primaryIn }),
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
