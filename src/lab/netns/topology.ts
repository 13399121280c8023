/**
 * A network-namespace lab as data: every namespace, bridge, veth, address and route, as the argv
 * that makes it, in order, each with the argv that undoes it where one is needed; and the teardown,
 * which needs only the suffix (so a lab whose lab.json is lost can still be removed). Pure.
 *
 *   root ns  c<s>-mg 198.18.P.1/30 ──veth── c<s>-up 198.18.P.2/30  (net ns routes between them)
 *   net ns   bridge c<s>-bm (mgmt, 198.18.M.1/24), c<s>-bl (LAN), c<s>-br (replication)
 *   host ns  c<s>-mgmt 198.18.M.11|12 (sshd), bridge c<s>-hbr 198.18.L.11|12 over c<s>-lan,
 *            c<s>-repl 198.18.R.11|12; a route to the /30 via 198.18.M.1; no default route
 *   client   c<s>-lan 198.18.L.200/24
 *
 * The root namespace gets its veth end and one route (the management /24 via the net namespace);
 * both go when the link is deleted. Deleting a namespace deletes every link in it, and a veth's peer.
 */
import { LAB_HOST_NAMES, labAddresses, labNames, type LabAddresses, type LabHostName, type LabNames } from './names.ts';

export interface NetStep {
  argv: string[];
  /** What removes what this step made (absent when a later undo, or its namespace's, removes it). */
  undo?: string[];
}

export interface Topology {
  names: LabNames;
  addresses: LabAddresses;
  /** Every namespace the lab makes, in creation order. */
  namespaces: string[];
  setup: NetStep[];
  teardown: string[][];
}

const ipn = (ns: string, ...args: string[]): string[] => ['ip', '-n', ns, ...args];

/** The namespaces of a suffix, in creation order (the net namespace first: it holds the switches). */
export function labNamespaces(n: LabNames): string[] {
  return [n.ns.net, ...LAB_HOST_NAMES.map((h) => n.ns.hosts[h]), n.ns.client];
}

/** The namespaces, each with lo up; the net namespace forwards IPv4 (it routes root <-> management). */
function namespaceSteps(n: LabNames): NetStep[] {
  const steps: NetStep[] = [];
  for (const ns of labNamespaces(n)) {
    steps.push({ argv: ['ip', 'netns', 'add', ns], undo: ['ip', 'netns', 'del', ns] });
    steps.push({ argv: ipn(ns, 'link', 'set', 'lo', 'up') });
  }
  steps.push({ argv: ['ip', 'netns', 'exec', n.ns.net, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'] });
  return steps;
}

/**
 * The root namespace's veth end, early: it carries the lab directory as its alias, so that a sweep can
 * tell whose namespaces these are from the start.
 */
function rootLinkSteps(n: LabNames, labDir: string): NetStep[] {
  return [
    {
      argv: ['ip', 'link', 'add', n.rootLink, 'type', 'veth', 'peer', 'name', n.uplink, 'netns', n.ns.net],
      undo: ['ip', 'link', 'del', n.rootLink],
    },
    { argv: ['ip', 'link', 'set', n.rootLink, 'alias', labDir] },
  ];
}

function bridgeSteps(n: LabNames): NetStep[] {
  const steps: NetStep[] = [];
  for (const br of [n.bridges.mgmt, n.bridges.lan, n.bridges.repl]) {
    steps.push({ argv: ipn(n.ns.net, 'link', 'add', br, 'type', 'bridge') });
    steps.push({ argv: ipn(n.ns.net, 'link', 'set', br, 'up') });
  }
  return steps;
}

/** A veth from a bridge port in the net namespace to `inner` in namespace `ns`, both ends up. */
function portSteps(n: LabNames, port: string, bridge: string, ns: string, inner: string): NetStep[] {
  return [
    { argv: ipn(n.ns.net, 'link', 'add', port, 'type', 'veth', 'peer', 'name', inner, 'netns', ns) },
    { argv: ipn(n.ns.net, 'link', 'set', port, 'master', bridge, 'up') },
    { argv: ipn(ns, 'link', 'set', inner, 'up') },
  ];
}

/**
 * The host's one route: to the root namespace's /30 via the net namespace's router. The kernel drops it
 * when the management link goes down (a killed host): reviving it puts it back (`replace`).
 */
export function hostRouteArgv(n: LabNames, a: LabAddresses, h: LabHostName, verb: 'add' | 'replace'): string[] {
  return ipn(n.ns.hosts[h], 'route', verb, a.p2p.subnet, 'via', a.mgmt.router, 'dev', n.inner.mgmt);
}

function hostSteps(n: LabNames, a: LabAddresses): NetStep[] {
  const steps: NetStep[] = [];
  const i = n.inner;
  for (const h of LAB_HOST_NAMES) {
    const ns = n.ns.hosts[h];
    const p = n.ports[h];
    steps.push(...portSteps(n, p.mgmt, n.bridges.mgmt, ns, i.mgmt));
    steps.push({ argv: ipn(ns, 'addr', 'add', `${a.mgmt.hosts[h]}/24`, 'dev', i.mgmt) });
    steps.push({ argv: hostRouteArgv(n, a, h, 'add') });
    steps.push(...portSteps(n, p.lan, n.bridges.lan, ns, i.lan));
    steps.push({ argv: ipn(ns, 'link', 'add', i.hostBridge, 'type', 'bridge') });
    steps.push({ argv: ipn(ns, 'link', 'set', i.lan, 'master', i.hostBridge) });
    steps.push({ argv: ipn(ns, 'link', 'set', i.hostBridge, 'up') });
    steps.push({ argv: ipn(ns, 'addr', 'add', `${a.lan.hosts[h]}/24`, 'dev', i.hostBridge) });
    steps.push(...portSteps(n, p.repl, n.bridges.repl, ns, i.repl));
    steps.push({ argv: ipn(ns, 'addr', 'add', `${a.repl.hosts[h]}/24`, 'dev', i.repl) });
  }
  steps.push(...portSteps(n, n.ports.client, n.bridges.lan, n.ns.client, i.lan));
  steps.push({ argv: ipn(n.ns.client, 'addr', 'add', `${a.lan.client}/24`, 'dev', i.lan) });
  return steps;
}

/** The routed management path, last: the root end's address and its one route, the net end's addresses. */
function routeSteps(n: LabNames, a: LabAddresses): NetStep[] {
  const root = n.rootLink;
  return [
    { argv: ['ip', 'addr', 'add', `${a.p2p.root}/30`, 'dev', root] },
    { argv: ['ip', 'link', 'set', root, 'up'] },
    { argv: ipn(n.ns.net, 'addr', 'add', `${a.p2p.net}/30`, 'dev', n.uplink) },
    { argv: ipn(n.ns.net, 'link', 'set', n.uplink, 'up') },
    { argv: ipn(n.ns.net, 'addr', 'add', `${a.mgmt.router}/24`, 'dev', n.bridges.mgmt) },
    { argv: ['ip', 'route', 'add', a.mgmt.subnet, 'via', a.p2p.net, 'dev', root] },
  ];
}

/** What removes a lab of this suffix: the root link, then the namespaces (last made, first removed). */
export function teardownArgv(suffix: string): string[][] {
  const n = labNames(suffix);
  return [
    ['ip', 'link', 'del', n.rootLink],
    ...labNamespaces(n)
      .reverse()
      .map((ns) => ['ip', 'netns', 'del', ns]),
  ];
}

/** The whole lab of `suffix` in `slot`, with `guests` planned guest LAN addresses; `labDir` labels the root link. */
export function buildTopology(suffix: string, slot: number, labDir: string, guests = 1): Topology {
  const names = labNames(suffix);
  const addresses = labAddresses(slot, guests);
  return {
    names,
    addresses,
    namespaces: labNamespaces(names),
    setup: [
      ...namespaceSteps(names),
      ...rootLinkSteps(names, labDir),
      ...bridgeSteps(names),
      ...hostSteps(names, addresses),
      ...routeSteps(names, addresses),
    ],
    teardown: teardownArgv(suffix),
  };
}
