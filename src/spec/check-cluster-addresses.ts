/**
 * The knet addresses of the cluster hosts (and the qdevice's): each one an address another host can
 * connect to (the rules of the spec's other addresses, and not loopback: every cluster host is its
 * own machine or network namespace), used by one host only, and per cluster the same number of links
 * with one address family per link, as corosync's nodelist requires.
 */
import { checkAddress, isGroupAddress, isLoopback, isUnspecified } from './address.ts';
import type { CheckContext } from './check-context.ts';
import { clusterLayouts } from './cluster-layout.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import type { ClusterSettings } from './types.ts';

export function checkClusterAddresses(ctx: CheckContext, c: ClusterSettings, r: Reporter): void {
  const owner = new Map<string, string>();
  const entries = Object.values(c.hosts).map((h) => ({ name: h.name, addresses: h.addresses }));
  if (c.qdevice) entries.push({ name: c.qdevice.host, addresses: [c.qdevice.address] });
  const usable = new Set<string>();
  for (const { name, addresses } of entries) {
    let ok = true;
    addresses.forEach((address, i) => {
      const at = where(ctx, name, i);
      const problem = addressProblem(address);
      if (problem) {
        r.error(at, `${formatPath(at)}: ${problem} (cluster address of host ${name})`);
        ok = false;
        return;
      }
      const first = owner.get(address);
      if (first !== undefined && first !== name) {
        r.error(at, `${formatPath(at)}: ${address} is already the cluster address of host ${first}`);
        ok = false;
      } else owner.set(address, name);
    });
    if (ok) usable.add(name);
  }
  checkLinks(ctx, c, usable, r);
}

function where(ctx: CheckContext, host: string, i: number): SpecPath {
  if (ctx.raw.cluster?.hosts?.[host]?.addresses !== undefined) return ['cluster', 'hosts', host, 'addresses', i];
  if (ctx.raw.hosts?.[host]?.replicationAddress !== undefined) return ['hosts', host, 'replicationAddress'];
  return ['hosts', host];
}

function addressProblem(address: string): string | undefined {
  if (address === '') return 'no address: set cluster.hosts.<host>.addresses or the replicationAddress';
  const check = checkAddress(address, '; corosync chooses its ports itself');
  if (!check.ok) return check.problem;
  if (isUnspecified(address)) return `${address} means "any address"; write this host's own address`;
  if (isGroupAddress(address)) return `${address} is a multicast or broadcast address, not one host's address`;
  if (isLoopback(address)) return `${address} is a loopback address; the other cluster hosts cannot reach it`;
  return undefined;
}

function family(address: string): string {
  const check = checkAddress(address, '');
  return check.ok ? check.kind : 'name';
}

function checkLinks(ctx: CheckContext, c: ClusterSettings, usable: Set<string>, r: Reporter): void {
  const pairs = ctx.vms.map((v) => ({ vm: v.name, primary: v.spec.primary, secondary: v.spec.secondary }));
  for (const layout of clusterLayouts(c.name, pairs)) {
    const hosts = layout.hosts.flatMap((h) => (usable.has(h) && c.hosts[h] ? [c.hosts[h]] : []));
    const [first, ...rest] = hosts;
    if (!first) continue;
    for (const h of rest) {
      const at = where(ctx, h.name, 0).slice(0, -1);
      if (h.addresses.length !== first.addresses.length) {
        r.error(
          at,
          `host ${h.name} has ${h.addresses.length} cluster link(s) but host ${first.name} of the same cluster ` +
            `has ${first.addresses.length}: give every host of cluster ${layout.name} the same links`,
        );
        continue;
      }
      h.addresses.forEach((a, i) => {
        const f = family(a);
        const other = family(first.addresses[i] ?? '');
        if (f !== 'name' && other !== 'name' && f !== other)
          r.error(where(ctx, h.name, i), `link ${i}: ${a} is ${f} but host ${first.name}'s link ${i} is ${other}`);
      });
    }
  }
}
