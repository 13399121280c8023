/** What a VM asks of the port allocator: its hosts, base, explicit ports and host forwards. */
import * as D from './builtin-defaults.ts';
import type { PortRequest } from './port-allocation.ts';
import type { RawSpec, RawVm } from './raw-spec.ts';
import { presentNetdevs } from './resolve-values.ts';
import type { HostSpec } from './types.ts';

export function portRequest(name: string, vm: RawVm, hosts: Record<string, HostSpec>, raw: RawSpec): PortRequest {
  const at = ['vms', name];
  const hostNames = [...new Set([vm.primary, vm.secondary])].filter(
    (h): h is string => h !== undefined && hosts[h] !== undefined,
  );
  const own = vm.ports;
  const basePath =
    raw.vms?.[name]?.ports?.base !== undefined
      ? [...at, 'ports', 'base']
      : raw.defaults?.ports?.base !== undefined
        ? ['defaults', 'ports', 'base']
        : at;
  const explicit = (key: 'migration' | 'nbd') =>
    own?.[key] !== undefined ? { port: own[key], path: [...at, 'ports', key] } : undefined;
  const migration = explicit('migration');
  const nbd = explicit('nbd');
  return {
    vm: name,
    hosts: hostNames,
    base: own?.base ?? D.DEFAULT_PORT_BASE,
    basePath,
    ...(migration ? { migration } : {}),
    ...(nbd ? { nbd } : {}),
    nics: presentNetdevs(vm).map(({ id }) => {
      const p = own?.nics?.[id];
      const nicAt = [...at, 'ports', 'nics', id];
      return {
        netdevId: id,
        ...(p?.mirror !== undefined ? { mirror: { port: p.mirror, path: [...nicAt, 'mirror'] } } : {}),
        ...(p?.compare !== undefined ? { compare: { port: p.compare, path: [...nicAt, 'compare'] } } : {}),
      };
    }),
    forwards: presentNetdevs(vm).flatMap(({ netdev, index }) =>
      netdev.backend === 'user'
        ? (netdev.hostForwards ?? []).flatMap((f, j) =>
            f?.hostPort !== undefined
              ? [
                  {
                    protocol: f.protocol ?? 'tcp',
                    port: f.hostPort,
                    path: [...at, 'netdevs', index, 'hostForwards', j, 'hostPort'],
                    ...(f.hostAddress !== undefined ? { hostAddress: f.hostAddress } : {}),
                  },
                ]
              : [],
          )
        : [],
    ),
  };
}
