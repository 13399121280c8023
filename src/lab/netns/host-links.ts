/**
 * The argv of the netns lab's host faults, as data (pure): a host's power (its own ends of its three
 * links, inside its namespace: down when it is killed, up when it is revived) and a cable (the lab
 * switch's port of its LAN or replication link, in the net namespace: down when cut, up when healed).
 * Power and cables are separate switches, so reviving a host does not heal a cut, nor the reverse.
 */
import type { LabAddresses, LabHostName, LabNames } from './names.ts';
import { hostRouteArgv } from './topology.ts';

export const CUT_LINKS = ['lan', 'replication'] as const;
export type CutLink = (typeof CUT_LINKS)[number];

export function isCutLink(s: string): s is CutLink {
  return (CUT_LINKS as readonly string[]).includes(s);
}

type UpDown = 'up' | 'down';

/** The host's own ends of its management, LAN and replication veths, set `state` (in its namespace). */
export function hostLinksArgv(n: LabNames, host: LabHostName, state: UpDown): string[][] {
  const ns = n.ns.hosts[host];
  return [n.inner.mgmt, n.inner.lan, n.inner.repl].map((link) => ['ip', '-n', ns, 'link', 'set', link, state]);
}

/** Reviving a host: its link ends up, then its route back (the kernel dropped it with the link). */
export function reviveArgv(n: LabNames, a: LabAddresses, host: LabHostName): string[][] {
  return [...hostLinksArgv(n, host, 'up'), hostRouteArgv(n, a, host, 'replace')];
}

/** The lab switch's port of one of the host's links (in the net namespace), set `state`. */
export function switchPortArgv(n: LabNames, host: LabHostName, link: CutLink, state: UpDown): string[] {
  const port = link === 'lan' ? n.ports[host].lan : n.ports[host].repl;
  return ['ip', '-n', n.ns.net, 'link', 'set', port, state];
}

/** Both switch ports (LAN and replication) of the host up: every cut healed. */
export function healArgv(n: LabNames, host: LabHostName): string[][] {
  return CUT_LINKS.map((l) => switchPortArgv(n, host, l, 'up'));
}
