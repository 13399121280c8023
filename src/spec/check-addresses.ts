/**
 * Addresses: each one well formed (no `host:port`, four decimal octets, a valid IPv6 or host name),
 * a replication address the peer host can connect to (not 0.0.0.0, not loopback across machines)
 * and used by one host only, and host forwards QEMU's user network can bind (an IPv4 literal).
 */
import { checkAddress, isGroupAddress, isLoopback, isUnspecified } from './address.ts';
import type { CheckContext } from './check-context.ts';
import { hostPairs } from './check-context.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import type { HostSpec } from './types.ts';

export function checkAddresses(ctx: CheckContext, r: Reporter): void {
  const firstByReplication = new Map<string, string>();
  for (const [name, raw] of Object.entries(ctx.raw.hosts ?? {})) {
    const at = ['hosts', name];
    const sshOk =
      raw?.ssh?.address === undefined ||
      connectable(
        r,
        [...at, 'ssh', 'address'],
        raw.ssh.address,
        ` and the port in ${formatPath([...at, 'ssh', 'port'])}`,
      );
    const replOk =
      raw?.replicationAddress === undefined ||
      connectable(
        r,
        [...at, 'replicationAddress'],
        raw.replicationAddress,
        '; colo chooses the replication ports itself (set ports.base to move them)',
      );
    const host = ctx.hosts[name];
    if (!host || !sshOk || !replOk || host.replicationAddress === '') continue;
    const where = replicationPath(raw?.replicationAddress !== undefined, name);
    const first = firstByReplication.get(host.replicationAddress);
    if (first === undefined) firstByReplication.set(host.replicationAddress, name);
    else {
      r.error(
        where,
        `${formatPath(where)}: ${host.replicationAddress} is already the replication address of host ${first}; ` +
          `their QEMUs would compete for the same ports: give each host its own replicationAddress`,
      );
    }
  }
  checkLoopbackReplication(ctx, r);
  checkForwardAddresses(ctx, r);
}

function replicationPath(own: boolean, host: string): SpecPath {
  return own ? ['hosts', host, 'replicationAddress'] : ['hosts', host, 'ssh', 'address'];
}

/** A well-formed address another machine can connect to; reports and returns false otherwise. */
function connectable(r: Reporter, path: SpecPath, value: string, portAdvice: string): boolean {
  const check = checkAddress(value, portAdvice);
  if (!check.ok) {
    r.error(path, `${formatPath(path)}: ${check.problem}`);
    return false;
  }
  if (isUnspecified(value)) {
    r.error(
      path,
      `${formatPath(path)}: ${value} means "any address": it can be listened on, not connected to` +
        (path.at(-1) === 'replicationAddress'
          ? " (and QEMU's plain-TCP listeners would be reachable from every network of the host)"
          : '') +
        `; write this host's own address`,
    );
    return false;
  }
  if (isGroupAddress(value)) {
    r.error(path, `${formatPath(path)}: ${value} is a multicast or broadcast address, not one host's address`);
    return false;
  }
  return true;
}

/** colo runs on this machine: local hosts and hosts reached at a loopback address are here too. */
function onThisMachine(host: HostSpec): boolean {
  return host.local || (host.ssh !== undefined && isLoopback(host.ssh.address));
}

/** A loopback replication address only works when both QEMUs of the VM run on this machine. */
function checkLoopbackReplication(ctx: CheckContext, r: Reporter): void {
  const reported = new Set<string>();
  for (const { primary, secondary } of hostPairs(ctx)) {
    for (const [host, peer] of [
      [primary, secondary],
      [secondary, primary],
    ] as const) {
      if (reported.has(host.name) || !isLoopback(host.replicationAddress)) continue;
      if (onThisMachine(host) && onThisMachine(peer)) continue;
      reported.add(host.name);
      const where = replicationPath(ctx.raw.hosts?.[host.name]?.replicationAddress !== undefined, host.name);
      r.error(
        where,
        `${formatPath(where)}: ${host.replicationAddress} is a loopback address, but host ${peer.name} ` +
          `(${peer.ssh?.address ?? 'local'}) must reach host ${host.name} at it; write an address of ` +
          `${host.name} that ${peer.name} can connect to`,
      );
    }
  }
}

/** QEMU's hostfwd (net/slirp.c) reads its address with inet_aton: an IPv4 literal or nothing. */
function checkForwardAddresses(ctx: CheckContext, r: Reporter): void {
  for (const { vm, primary, secondary } of hostPairs(ctx)) {
    (vm.raw.netdevs ?? []).forEach((netdev, i) => {
      if (netdev?.backend !== 'user') return;
      (netdev.hostForwards ?? []).forEach((f, j) => {
        if (!f) return;
        const at = ['vms', vm.name, 'netdevs', i, 'hostForwards', j];
        if (f.hostAddress !== undefined) {
          const path = [...at, 'hostAddress'];
          const check = checkAddress(f.hostAddress, ` and the port in ${formatPath([...at, 'hostPort'])}`);
          if (!check.ok) r.error(path, `${formatPath(path)}: ${check.problem}`);
          else if (check.kind !== 'ipv4')
            r.error(
              path,
              `${formatPath(path)}: ${f.hostAddress} is not an IPv4 address; QEMU's user network (hostfwd) ` +
                `binds only IPv4 literals: write one, or 0.0.0.0 for every address`,
            );
          return;
        }
        const unusable = [primary, secondary].find(
          (h) => h.replicationAddress !== '' && checkAddress(h.replicationAddress, '').ok && !isIPv4Literal(h),
        );
        if (unusable) {
          r.error(
            at,
            `${formatPath(at)}: without hostAddress QEMU binds the forward on the replication address of ` +
              `host ${unusable.name}, ${unusable.replicationAddress}, but hostfwd takes only IPv4 literals: ` +
              `set hostAddress (0.0.0.0 for every address)`,
          );
        }
      });
    });
  }
}

function isIPv4Literal(host: HostSpec): boolean {
  const check = checkAddress(host.replicationAddress, '');
  return check.ok && check.kind === 'ipv4';
}
