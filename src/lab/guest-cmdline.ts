/**
 * The lab guest's kernel command line: the base the guest is built for (scripts/build-guest.sh) plus
 * the guest's static network addresses, which its /init reads (scripts/guest/init): `colo.ipN=A.B.C.D/P`
 * for ethN (the VM's N-th netdev), `colo.gw=A.B.C.D` for a default route. Without addresses the guest
 * keeps QEMU user networking's 10.0.2.15/24 on eth0, as before. Lab addresses are 198.18.0.0/15 only
 * (docs/SECURITY.md), and every value is checked before it joins the command line. Pure.
 */

/** Most NICs the guest's /init configures (eth0..eth7). */
export const GUEST_MAX_NICS = 8;

export interface GuestNetwork {
  /** Per NIC, in netdev order: `A.B.C.D/P`, or undefined to leave that NIC to the default (eth0) or down. */
  addresses?: (string | undefined)[];
  /** Default route. */
  gateway?: string;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

function octets(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** 198.18.0.0/15: the only range the lab puts on a guest. */
function inLabRange(ip: string): boolean {
  const [a, b] = octets(ip);
  return a === 198 && (b === 18 || b === 19);
}

function checkAddress(where: string, ip: string): void {
  if (!IPV4.test(ip)) throw new Error(`${where}: ${JSON.stringify(ip)} is not a dotted IPv4 address`);
  if (!inLabRange(ip)) throw new Error(`${where}: ${ip} is outside 198.18.0.0/15, the only range the lab uses`);
}

/** `A.B.C.D/P` with P in 8..30 (a usable host address), in 198.18.0.0/15; throws naming the NIC. */
function checkCidr(where: string, cidr: string): void {
  const slash = cidr.indexOf('/');
  const prefix = slash < 0 ? '' : cidr.slice(slash + 1);
  if (slash < 0 || !/^[0-9]{1,2}$/.test(prefix) || Number(prefix) < 8 || Number(prefix) > 30) {
    throw new Error(`${where}: ${JSON.stringify(cidr)} is not ADDRESS/PREFIX with a prefix of 8 to 30`);
  }
  const ip = cidr.slice(0, slash);
  checkAddress(where, ip);
  const hostBits = 32 - Number(prefix);
  const host = octets(ip).reduce((acc, o) => acc * 256 + o, 0) % 2 ** hostBits;
  if (host === 0 || host === 2 ** hostBits - 1) {
    throw new Error(`${where}: ${cidr} is the network or broadcast address of its subnet, not a host address`);
  }
}

/** The base command line with the network arguments appended (the base unchanged when there are none). */
export function guestKernelCmdline(base: string, net: GuestNetwork = {}): string {
  const addresses = net.addresses ?? [];
  if (addresses.length > GUEST_MAX_NICS) {
    throw new Error(`the lab guest configures at most ${GUEST_MAX_NICS} NICs, not ${addresses.length}`);
  }
  const args: string[] = [];
  addresses.forEach((cidr, i) => {
    if (cidr === undefined) return;
    checkCidr(`guest NIC ${i} (eth${i})`, cidr);
    args.push(`colo.ip${i}=${cidr}`);
  });
  if (net.gateway !== undefined) {
    checkAddress('guest gateway', net.gateway);
    args.push(`colo.gw=${net.gateway}`);
  }
  if (args.length > 0 && /\bcolo\.(ip[0-9]?|gw)=/.test(base)) {
    throw new Error(`the base command line ${JSON.stringify(base)} already sets a guest address`);
  }
  return [base, ...args].filter((s) => s !== '').join(' ');
}
