/**
 * Names and addresses of a network-namespace lab, derived from its suffix (6 hex digits, random per
 * lab) and its slot (0..127, which quarter of 198.18.0.0/15's /24s it uses). Pure.
 *
 * Namespaces: `colo-<s>-alpha`, `colo-<s>-beta` (the hosts), `colo-<s>-client` (on the LAN) and
 * `colo-<s>-net` (the lab's switches: a management, a LAN and a replication bridge, and the router
 * between colo in the root namespace and the hosts' management addresses).
 * Interfaces are `c<s>-<role>`: at most 1 + 6 + 1 + 5 = 13 characters (Linux allows 15).
 * Per slot k the lab uses four /24s from 198.18.0.0 + 4k*256: a /30 between the root namespace and
 * the net namespace, then management, LAN and replication /24s.
 */

export const LAB_HOST_NAMES = ['alpha', 'beta'] as const;
export type LabHostName = (typeof LAB_HOST_NAMES)[number];
export const SLOT_COUNT = 128;
export const SUFFIX_PATTERN = /^[0-9a-f]{6}$/;
/** Matches a lab namespace name; group 1 is the suffix, group 2 the role. */
export const NAMESPACE_PATTERN = /^colo-([0-9a-f]{6})-(alpha|beta|client|net)$/;

export interface LabNames {
  suffix: string;
  ns: { net: string; client: string; hosts: Record<LabHostName, string> };
  /** The root namespace's end of the management veth (the only link colo adds to the root namespace). */
  rootLink: string;
  /** In the net namespace: its end of the root veth, and the three bridges. */
  uplink: string;
  bridges: { mgmt: string; lan: string; repl: string };
  /** Net-namespace ends of each host's veths (and the client's LAN veth). */
  ports: Record<LabHostName, { mgmt: string; lan: string; repl: string }> & { client: string };
  /** Inside a host or the client: its veth ends, and the host's own LAN bridge (where taps will join). */
  inner: { mgmt: string; lan: string; repl: string; hostBridge: string };
}

export function labNames(suffix: string): LabNames {
  if (!SUFFIX_PATTERN.test(suffix)) throw new Error(`lab suffix must be 6 hex digits, got "${suffix}"`);
  const ns = (role: string): string => `colo-${suffix}-${role}`;
  const link = (role: string): string => `c${suffix}-${role}`;
  return {
    suffix,
    ns: { net: ns('net'), client: ns('client'), hosts: { alpha: ns('alpha'), beta: ns('beta') } },
    rootLink: link('mg'),
    uplink: link('up'),
    bridges: { mgmt: link('bm'), lan: link('bl'), repl: link('br') },
    ports: {
      alpha: { mgmt: link('ma'), lan: link('la'), repl: link('ra') },
      beta: { mgmt: link('mb'), lan: link('lb'), repl: link('rb') },
      client: link('lc'),
    },
    inner: { mgmt: link('mgmt'), lan: link('lan'), repl: link('repl'), hostBridge: link('hbr') },
  };
}

export interface LabAddresses {
  /** The root-net /30: root end .1, net end .2. */
  p2p: { subnet: string; root: string; net: string };
  /** colo's SSH: the net namespace's router address and each host's sshd. */
  mgmt: { subnet: string; router: string; hosts: Record<LabHostName, string> };
  lan: { subnet: string; hosts: Record<LabHostName, string>; client: string; guests: string[] };
  repl: { subnet: string; hosts: Record<LabHostName, string> };
}

/** `198.18.0.0 + n*256` as a dotted /24 prefix ("198.18.4") for n in 0..511. */
function net24(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 511) throw new Error(`no /24 number ${n} in 198.18.0.0/15`);
  return `198.${18 + (n >> 8)}.${n & 255}`;
}

/** The lab's addresses in slot `slot`; `guests` LAN addresses are planned (.100, .101, ...; at most 99). */
export function labAddresses(slot: number, guests = 1): LabAddresses {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new Error(`lab slot must be 0..127: ${slot}`);
  if (!Number.isInteger(guests) || guests < 0 || guests > 99) throw new Error(`guests must be 0..99: ${guests}`);
  const [p, m, l, r] = [0, 1, 2, 3].map((i) => net24(slot * 4 + i)) as [string, string, string, string];
  return {
    p2p: { subnet: `${p}.0/30`, root: `${p}.1`, net: `${p}.2` },
    mgmt: { subnet: `${m}.0/24`, router: `${m}.1`, hosts: { alpha: `${m}.11`, beta: `${m}.12` } },
    lan: {
      subnet: `${l}.0/24`,
      hosts: { alpha: `${l}.11`, beta: `${l}.12` },
      client: `${l}.200`,
      guests: Array.from({ length: guests }, (_, i) => `${l}.${100 + i}`),
    },
    repl: { subnet: `${r}.0/24`, hosts: { alpha: `${r}.11`, beta: `${r}.12` } },
  };
}

/** The slot whose /24s contain an IPv4 address (or prefix), or undefined outside 198.18.0.0/15. */
export function slotOf(address: string): number | undefined {
  const m = /^198\.(18|19)\.(\d{1,3})\./.exec(address);
  if (!m) return undefined;
  return ((Number(m[1]) - 18) * 256 + Number(m[2])) >> 2;
}
