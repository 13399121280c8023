/** The unix socket paths of a resolved VM must fit the kernel's limit on every one of its hosts. */
import * as D from './builtin-defaults.ts';
import type { Reporter } from './reporter.ts';
import { formatPath } from './spec-path.ts';
import type { HostSpec, VmSpec } from './types.ts';

/**
 * colo's unix sockets for a VM live in `${workDir}/${vm}/` (see src/render/paths.ts): qmp.sock and,
 * per netdev, compare0-<id>.sock and compare_out-<id>.sock. Each must fit the socket path limit.
 */
export function checkSocketPaths(vm: VmSpec, hosts: Record<string, HostSpec>, r: Reporter): void {
  const names = ['qmp.sock', ...vm.netdevs.flatMap((n) => [`compare0-${n.id}.sock`, `compare_out-${n.id}.sock`])];
  const longest = names.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
  // One report per VM: the worst of its hosts.
  let worst: { host: string; path: string; bytes: number } | undefined;
  for (const hostName of new Set([vm.primary, vm.secondary])) {
    const host = hosts[hostName];
    if (!host) continue;
    const dir = host.workDir.endsWith('/') ? `${host.workDir}${vm.name}` : `${host.workDir}/${vm.name}`;
    const path = `${dir}/${longest}`;
    const bytes = Buffer.byteLength(path);
    if (bytes > D.SOCKET_PATH_LIMIT && (!worst || bytes > worst.bytes)) worst = { host: hostName, path, bytes };
  }
  if (worst) {
    r.error(
      ['vms', vm.name],
      `${formatPath(['vms', vm.name])}: unix socket path ${worst.path} on host ${worst.host} is ${worst.bytes} ` +
        `bytes, over the limit of ${D.SOCKET_PATH_LIMIT}; shorten hosts.${worst.host}.workDir, the VM name or ` +
        `the netdev ids`,
      'key',
    );
  }
}
