/**
 * TCP ports per VM: explicit ones are reserved first (clashes are errors), then the missing ones
 * are allocated from a base, in file order. A VM's ports are reserved on *both* its hosts, because
 * roles swap on failover: whatever the primary listens on today, the other host listens on later.
 * Host forwards of user netdevs are reserved on both hosts too (both QEMUs bind them).
 */
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import type { VmPorts } from './types.ts';

export interface ExplicitPort {
  port: number;
  path: SpecPath;
}

export interface PortRequest {
  vm: string;
  /** The VM's hosts that exist (one or two). */
  hosts: string[];
  base: number;
  /** Where the base comes from, for "no free port" errors. */
  basePath: SpecPath;
  migration?: ExplicitPort;
  nbd?: ExplicitPort;
  nics: { netdevId: string; mirror?: ExplicitPort; compare?: ExplicitPort }[];
  forwards: { protocol: 'tcp' | 'udp'; port: number; path: SpecPath }[];
}

interface Claim {
  protocol: 'tcp' | 'udp';
  port: number;
  /** Explicit claims have a path in the spec; allocated ones say which VM and role. */
  path?: SpecPath;
  label: string;
}

const PORT_MAX = 65535;

export function allocatePorts(requests: readonly PortRequest[], r: Reporter): Map<string, VmPorts> {
  const claims = new Map<string, Map<string, Claim>>(); // host -> "tcp/9000" -> claim
  const used = (host: string): Map<string, Claim> => {
    let m = claims.get(host);
    if (!m) claims.set(host, (m = new Map()));
    return m;
  };

  const claim = (hosts: readonly string[], c: Claim): void => {
    const clashes = new Map<Claim, string[]>();
    for (const host of hosts) {
      const key = `${c.protocol}/${c.port}`;
      const existing = used(host).get(key);
      if (existing) clashes.set(existing, [...(clashes.get(existing) ?? []), host]);
      else used(host).set(key, c);
    }
    for (const [other, onHosts] of clashes) {
      if (!c.path) continue;
      const hostWord = onHosts.length === 1 ? `host ${onHosts[0]}` : `hosts ${onHosts.join(' and ')}`;
      const by = other.path ? `${formatPath(other.path)} (line ${r.lineOf(other.path, 'value')})` : other.label;
      const proto = c.protocol === 'udp' ? 'udp port' : 'port';
      r.error(c.path, `${proto} ${c.port} is already used on ${hostWord} by ${by}`);
    }
  };

  // 1. Explicit ports and host forwards of every VM, in file order.
  for (const q of requests) {
    for (const f of q.forwards)
      claim(q.hosts, { protocol: f.protocol, port: f.port, path: f.path, label: formatPath(f.path) });
    for (const e of explicitPorts(q))
      claim(q.hosts, { protocol: 'tcp', port: e.port, path: e.path, label: formatPath(e.path) });
  }

  // 2. Everything else, from each VM's base, skipping any port taken on either host.
  const result = new Map<string, VmPorts>();
  for (const q of requests) {
    let next = q.base;
    let exhausted = false;
    const take = (role: string): number => {
      while (next <= PORT_MAX && q.hosts.some((h) => used(h).has(`tcp/${next}`) || used(h).has(`udp/${next}`))) next++;
      if (next > PORT_MAX) {
        if (!exhausted)
          r.error(
            q.basePath,
            `${formatPath(['vms', q.vm])}: no free port left from ${q.base} to ${PORT_MAX} for its ${role} ` +
              `port; lower ports.base`,
          );
        exhausted = true;
        return 0;
      }
      const port = next++;
      claim(q.hosts, { protocol: 'tcp', port, label: `the ${role} port of vms.${q.vm}` });
      return port;
    };
    const migration = q.migration?.port ?? take('migration');
    const nbd = q.nbd?.port ?? take('nbd');
    const nics = q.nics.map((n) => ({
      netdevId: n.netdevId,
      mirror: n.mirror?.port ?? take(`${n.netdevId} mirror`),
      compare: n.compare?.port ?? take(`${n.netdevId} compare`),
    }));
    result.set(q.vm, { migration, nbd, nics });
  }
  return result;
}

function explicitPorts(q: PortRequest): ExplicitPort[] {
  const out: ExplicitPort[] = [];
  if (q.migration) out.push(q.migration);
  if (q.nbd) out.push(q.nbd);
  for (const n of q.nics) {
    if (n.mirror) out.push(n.mirror);
    if (n.compare) out.push(n.compare);
  }
  return out;
}
