/**
 * TCP ports per VM: explicit ones are reserved first (clashes are errors), then the missing ones
 * are allocated from a base, in file order. A VM's ports are reserved on *both* its hosts, because
 * roles swap on failover: whatever the primary listens on today, the other host listens on later.
 * Host forwards of user netdevs are reserved on both hosts too (both QEMUs bind them), and each
 * host's sshd port is reserved on that host before anything else.
 */
import { isUnspecified } from './address.ts';
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
  forwards: { protocol: 'tcp' | 'udp'; port: number; path: SpecPath; hostAddress?: string }[];
}

/** A host's sshd: its port is taken on that host. */
export interface SshdPort {
  host: string;
  port: number;
  address: string;
  /** Where the port is written; undefined for the default 22. */
  path?: SpecPath;
}

interface Claim {
  /** Explicit claims have a path in the spec; allocated ones and sshd say who they are. */
  path?: SpecPath;
  label: () => string;
  /** Set for a host's sshd: the address it is reached at. */
  sshdAddress?: string;
}

interface NewClaim extends Claim {
  protocol: 'tcp' | 'udp';
  port: number;
  /** A host forward's explicit bind address. */
  hostAddress?: string;
}

const PORT_MAX = 65535;
/** One key space for both protocols: tcp ports as they are, udp ports above them. */
const UDP = 65536;

/** Who holds each port key on each host; a second holder is reported when it is written in the spec. */
class PortClaims {
  readonly #claims = new Map<string, Map<number, Claim>>(); // host -> port key -> claim
  readonly #r: Reporter;

  constructor(r: Reporter) {
    this.#r = r;
  }

  used(host: string): Map<number, Claim> {
    let m = this.#claims.get(host);
    if (!m) this.#claims.set(host, (m = new Map()));
    return m;
  }

  claim(hosts: readonly string[], c: NewClaim): void {
    const key = c.protocol === 'udp' ? c.port + UDP : c.port;
    const clashes = new Map<string, string[]>(); // who holds it -> on which hosts
    for (const host of hosts) {
      const existing = this.used(host).get(key);
      if (!existing) this.used(host).set(key, c);
      else if (c.path && !bindsElsewhere(c, existing)) {
        const by = existing.path
          ? `${formatPath(existing.path)} (line ${this.#r.lineOf(existing.path, 'value')})`
          : existing.label();
        const holder = existing.sshdAddress !== undefined ? `the sshd, ${by}` : by;
        clashes.set(holder, [...(clashes.get(holder) ?? []), host]);
      }
    }
    if (!c.path) return;
    for (const [holder, onHosts] of clashes) {
      const hostWord = onHosts.length === 1 ? `host ${onHosts[0]}` : `hosts ${onHosts.join(' and ')}`;
      const proto = c.protocol === 'udp' ? 'udp port' : 'port';
      this.#r.error(c.path, `${formatPath(c.path)}: ${proto} ${c.port} is already used on ${hostWord} by ${holder}`);
    }
  }
}

export function allocatePorts(
  requests: readonly PortRequest[],
  r: Reporter,
  sshd: readonly SshdPort[] = [],
): Map<string, VmPorts> {
  const claims = new PortClaims(r);
  const used = (host: string) => claims.used(host);
  const claim = (hosts: readonly string[], c: NewClaim) => claims.claim(hosts, c);

  // 0. Each host's sshd.
  for (const s of sshd) {
    const label = () => `port ${s.port}, the default ssh.port`;
    const path = s.path ? { path: s.path } : {};
    claim([s.host], { protocol: 'tcp', port: s.port, label, sshdAddress: s.address, ...path });
  }
  // 1. Explicit ports and host forwards of every VM, in file order.
  for (const q of requests) {
    for (const f of q.forwards) {
      const address = f.hostAddress !== undefined ? { hostAddress: f.hostAddress } : {};
      claim(q.hosts, { protocol: f.protocol, port: f.port, path: f.path, label: () => formatPath(f.path), ...address });
    }
    for (const e of explicitPorts(q))
      claim(q.hosts, { protocol: 'tcp', port: e.port, path: e.path, label: () => formatPath(e.path) });
  }

  // 2. Everything else, from each VM's base, skipping any port taken on either host. Every port from
  // a base up to its cursor is taken on some host of the set (claims are never released), so the next
  // VM with the same hosts and base starts there: allocation stays linear in the number of VMs.
  const cursors = new Map<string, number>(); // "host\0host\0base" -> first port worth trying
  const result = new Map<string, VmPorts>();
  for (const q of requests) {
    const hostClaims = q.hosts.map(used);
    const cursorKey = [...[...q.hosts].sort(), q.base].join('\0');
    let next = Math.max(q.base, cursors.get(cursorKey) ?? q.base);
    let exhausted = false;
    const take = (role: string): number => {
      while (next <= PORT_MAX && hostClaims.some((m) => m.has(next) || m.has(next + UDP))) next++;
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
      claim(q.hosts, { protocol: 'tcp', port, label: () => `the ${role} port of vms.${q.vm}` });
      return port;
    };
    const migration = q.migration?.port ?? take('migration');
    const nbd = q.nbd?.port ?? take('nbd');
    const nics = q.nics.map((n) => ({
      netdevId: n.netdevId,
      mirror: n.mirror?.port ?? take(`${n.netdevId} mirror`),
      compare: n.compare?.port ?? take(`${n.netdevId} compare`),
    }));
    cursors.set(cursorKey, next);
    result.set(q.vm, { migration, nbd, nics });
  }
  return result;
}

/**
 * A host forward bound to an address of its own choosing does not take the sshd's port on the
 * host's other addresses (the user picked the address). Everything else does: sshd usually
 * listens on every address, and colo's own listeners are on the replication address.
 */
function bindsElsewhere(c: NewClaim, existing: Claim): boolean {
  return (
    existing.sshdAddress !== undefined &&
    c.hostAddress !== undefined &&
    c.hostAddress !== existing.sshdAddress &&
    !isUnspecified(c.hostAddress)
  );
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
