/**
 * What an address written in the spec is: an IPv4 or IPv6 literal or a host name, and what is wrong
 * with it. Pure. The schema only checks the characters; these are the rules ssh, QEMU and the
 * resolver apply later (inet_aton reads "010.0.0.1" as octal and "127.1" as 127.0.0.1).
 */

export type AddressKind = 'ipv4' | 'ipv6' | 'name';

export type AddressCheck =
  | { ok: true; kind: AddressKind }
  | { ok: false; problem: string; /** The value to write instead, when obvious. */ suggestion?: string };

const DOTTED_NUMBERS = /^[0-9]+(\.[0-9]+)*\.?$/;
const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/** Classifies `value`; `portAdvice` ends the message of a `host:port` mistake (where the port goes). */
export function checkAddress(value: string, portAdvice: string): AddressCheck {
  if (value.includes(':')) return checkColon(value, portAdvice);
  if (DOTTED_NUMBERS.test(value)) return checkIpv4(value);
  return checkHostName(value);
}

function checkColon(value: string, portAdvice: string): AddressCheck {
  if (isIPv6(value)) return { ok: true, kind: 'ipv6' };
  const m = /^([^:]+):([0-9]+)$/.exec(value);
  if (m) {
    const host = m[1] as string;
    return {
      ok: false,
      problem: `${JSON.stringify(value)} has a port: write the address alone (${host})${portAdvice}`,
      suggestion: host,
    };
  }
  return { ok: false, problem: `${JSON.stringify(value)} is not a valid IPv6 address` };
}

function checkIpv4(value: string): AddressCheck {
  if (value.endsWith('.')) {
    const plain = value.slice(0, -1);
    return { ok: false, problem: `${JSON.stringify(value)} ends in ".": write ${plain}`, suggestion: plain };
  }
  const parts = value.split('.');
  if (parts.length !== 4) {
    return {
      ok: false,
      problem: `${JSON.stringify(value)} is not a complete IPv4 address: write all four octets (a.b.c.d)`,
    };
  }
  const big = parts.find((p) => Number(p) > 255);
  if (big !== undefined) {
    return { ok: false, problem: `${JSON.stringify(value)} is not an IPv4 address: octet ${big} is over 255` };
  }
  if (parts.some((p) => p.length > 1 && p.startsWith('0'))) {
    const plain = parts.map((p) => String(Number(p))).join('.');
    return {
      ok: false,
      problem:
        `${JSON.stringify(value)} is ambiguous (a leading 0 is octal to inet_aton): write ${plain} if you ` +
        `mean that`,
      suggestion: plain,
    };
  }
  return isIPv4(value)
    ? { ok: true, kind: 'ipv4' }
    : { ok: false, problem: `${JSON.stringify(value)} is not an IPv4 address` };
}

function checkHostName(value: string): AddressCheck {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length > 253) return { ok: false, problem: `host name is ${name.length} characters, over 253` };
  const labels = name.split('.');
  if (labels.some((l) => l === '')) {
    const fixed = labels.filter((l) => l !== '').join('.');
    return {
      ok: false,
      problem: `${JSON.stringify(value)} has an empty label (".." or a leading "."): write ${fixed}`,
      suggestion: fixed,
    };
  }
  const long = labels.find((l) => l.length > 63);
  if (long !== undefined)
    return { ok: false, problem: `label ${JSON.stringify(long)} of ${JSON.stringify(value)} is over 63 characters` };
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) {
    return {
      ok: false,
      problem: `label ${JSON.stringify(bad)} of ${JSON.stringify(value)} starts or ends with "-"`,
    };
  }
  return { ok: true, kind: 'name' };
}

/** 127.0.0.0/8 or ::1, and the name localhost. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a === 'localhost' || a.endsWith('.localhost') || a === '::1' || (isIPv4(a) && a.startsWith('127.'));
}

/** 0.0.0.0 or ::: "any address", something to bind to, never to connect to. */
export function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || (isIPv6(address) && /^[0:]+$/.test(address));
}

/** Multicast (224.0.0.0/4, ff00::/8) or the IPv4 broadcast address: no single host answers. */
export function isGroupAddress(address: string): boolean {
  if (isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return (first >= 224 && first <= 239) || address === '255.255.255.255';
  }
  return isIPv6(address) && address.toLowerCase().startsWith('ff');
}

/** Four decimal octets 0-255 without leading zeros (what `inet_pton` takes). */
export function isIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** An IPv6 literal as `inet_pton` takes it: eight groups, one `::`, an optional IPv4 tail. */
export function isIPv6(value: string): boolean {
  const halves = value.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'));
  const all = halves.flatMap((h) => groups(h) ?? []);
  const last = all[all.length - 1];
  const v4Tail = last !== undefined && last.includes('.');
  if (v4Tail && !isIPv4(last)) return false;
  const hex = v4Tail ? all.slice(0, -1) : all;
  if (!hex.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}
