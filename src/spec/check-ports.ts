/**
 * Listeners of hosts that are one machine: colo reserves ports per host name (port-allocation.ts),
 * but two host entries for the same machine (both local, or the same sshd) share its ports. Two
 * listeners there clash when they bind the same address, or one binds every address (0.0.0.0).
 * colo's own ports listen on the host's replication address, host forwards on hostAddress.
 */
import { isUnspecified } from './address.ts';
import type { CheckContext } from './check-context.ts';
import { hostPairs, machineOf } from './check-context.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';

interface Listener {
  host: string;
  address: string;
  /** Where it is written (explicit), or undefined for an allocated port. */
  path?: SpecPath;
  what: string;
}

export function checkSharedMachinePorts(ctx: CheckContext, r: Reporter): void {
  const machines = new Map<string, string[]>();
  for (const h of Object.values(ctx.hosts)) machines.set(machineOf(h), [...(machines.get(machineOf(h)) ?? []), h.name]);
  const shared = new Set([...machines.values()].filter((names) => names.length > 1).flat());
  if (shared.size === 0) return;

  const byPort = new Map<string, Listener[]>(); // machine + protocol + port -> listeners
  const add = (hostName: string, protocol: string, port: number, l: Omit<Listener, 'host'>): void => {
    const host = ctx.hosts[hostName];
    if (!host || !shared.has(hostName) || port === 0) return;
    const key = `${machineOf(host)}\0${protocol}\0${port}`;
    const list = byPort.get(key) ?? [];
    const me: Listener = { host: hostName, ...l };
    const clash = list.find((o) => o.host !== hostName && overlaps(o.address, me.address));
    if (clash && (me.path || clash.path)) {
      const [mine, theirs] = me.path ? [me, clash] : [clash, me];
      const path = mine.path as SpecPath;
      const by = theirs.path ? `${formatPath(theirs.path)} (line ${r.lineOf(theirs.path, 'value')})` : theirs.what;
      const text =
        theirs.path && formatPath(theirs.path) === formatPath(path)
          ? `both QEMUs bind ${protocol} port ${port} at ${mine.address}`
          : `${protocol} port ${port} at ${mine.address} clashes with ${by} at ${theirs.address}`;
      const [a, b] = [mine.host, theirs.host].sort();
      r.error(
        path,
        `${formatPath(path)}: ${text}, and hosts ${a} and ${b} are one machine (${machineOf(host)}); choose ` +
          `another port or address`,
      );
      return;
    }
    list.push(me);
    byPort.set(key, list);
  };

  for (const { vm, primary, secondary } of hostPairs(ctx)) {
    const ports = vm.spec.ports;
    const own = ctx.raw.vms?.[vm.name]?.ports;
    const colo: [number, string, SpecPath | undefined][] = [
      [ports.migration, 'migration', own?.migration !== undefined ? ['vms', vm.name, 'ports', 'migration'] : undefined],
      [ports.nbd, 'nbd', own?.nbd !== undefined ? ['vms', vm.name, 'ports', 'nbd'] : undefined],
      ...ports.nics.flatMap((n): [number, string, SpecPath | undefined][] =>
        (['mirror', 'compare'] as const).map((k) => [
          n[k],
          `${n.netdevId} ${k}`,
          own?.nics?.[n.netdevId]?.[k] !== undefined ? ['vms', vm.name, 'ports', 'nics', n.netdevId, k] : undefined,
        ]),
      ),
    ];
    for (const host of [primary, secondary]) {
      for (const [port, role, path] of colo) {
        add(host.name, 'tcp', port, {
          address: host.replicationAddress,
          what: `the ${role} port of vms.${vm.name}`,
          ...(path ? { path } : {}),
        });
      }
      (vm.raw.netdevs ?? []).forEach((netdev, i) => {
        if (netdev?.backend !== 'user') return;
        (netdev.hostForwards ?? []).forEach((f, j) => {
          if (f?.hostPort === undefined) return;
          const path = ['vms', vm.name, 'netdevs', i, 'hostForwards', j, 'hostPort'];
          const address = f.hostAddress ?? host.replicationAddress;
          add(host.name, f.protocol ?? 'tcp', f.hostPort, { address, path, what: formatPath(path) });
        });
      });
    }
  }
}

function overlaps(a: string, b: string): boolean {
  return a === b || isUnspecified(a) || isUnspecified(b);
}
