/**
 * OpenSSH known_hosts: parsing, host matching (plain patterns, wildcards, negations, hashed names) and
 * the lookup of a presented key. The policy colo applies on top is in host-key-policy.ts; reading the
 * file in known-hosts-file.ts.
 * colo does not verify host certificates: a host that known_hosts names only in a `@cert-authority`
 * line is reported as such (never as unknown, so it is never trusted on first use), and so is a host
 * named by a line that cannot be parsed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { keyTypeOfBlob } from './ssh-keys.ts';

export interface KnownHostsEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns (negated ones start with '!'), or a hashed host. */
  hosts: { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
}

export interface ParsedKnownHosts {
  entries: KnownHostsEntry[];
  /** Lines that could not be parsed (OpenSSH skips them; colo refuses a host one of them names). */
  invalidLines: number[];
  /** Of those, the ones whose host field could be read: which hosts they name. */
  invalidHosts?: { line: number; hosts: KnownHostsEntry['hosts'] }[];
}

/** The host field of a line: plain patterns, or a hashed name (undefined when malformed). */
function parseHostField(hostField: string): KnownHostsEntry['hosts'] | undefined {
  if (!hostField.startsWith('|1|')) return { kind: 'patterns', patterns: hostField.split(',').filter((p) => p !== '') };
  const [, , salt, hash] = hostField.split('|');
  if (!salt || !hash) return undefined;
  const hosts = { kind: 'hashed' as const, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  return hosts.salt.length === 20 && hosts.hash.length === 20 ? hosts : undefined;
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostsEntry[] = [];
  const invalidLines: number[] = [];
  const invalidHosts: { line: number; hosts: KnownHostsEntry['hosts'] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const entry = parseLine(raw.split(/\s+/), i + 1);
    if (entry.ok) {
      entries.push(entry.entry);
      continue;
    }
    invalidLines.push(i + 1);
    if (entry.hosts) invalidHosts.push({ line: i + 1, hosts: entry.hosts });
  }
  return { entries, invalidLines, invalidHosts };
}

type LineResult = { ok: true; entry: KnownHostsEntry } | { ok: false; hosts?: KnownHostsEntry['hosts'] };

function parseLine(fields: string[], line: number): LineResult {
  let marker: KnownHostsEntry['marker'];
  if (fields[0]?.startsWith('@')) {
    const m = fields.shift();
    if (m === '@revoked') marker = 'revoked';
    else if (m === '@cert-authority') marker = 'cert-authority';
    else return { ok: false, ...hostsOf(fields[0]) };
  }
  const [hostField, keyType, b64] = fields;
  const hosts = hostField ? parseHostField(hostField) : undefined;
  if (!hosts) return { ok: false };
  if (!keyType || !b64) return { ok: false, hosts };
  const key = Buffer.from(b64, 'base64');
  if (keyTypeOfBlob(key) === undefined) return { ok: false, hosts };
  return { ok: true, entry: { line, ...(marker ? { marker } : {}), hosts, keyType, key } };
}

function hostsOf(hostField: string | undefined): { hosts?: KnownHostsEntry['hosts'] } {
  const hosts = hostField ? parseHostField(hostField) : undefined;
  return hosts ? { hosts } : {};
}

/** OpenSSH wildcard match: `*` any run, `?` one character; case-insensitive. */
function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(name);
}

/** Whether a known_hosts entry's host field names this host (name from knownHostsName). */
export function entryMatchesHost(entry: Pick<KnownHostsEntry, 'hosts'>, name: string): boolean {
  if (entry.hosts.kind === 'hashed') {
    const h = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return h.length === entry.hosts.hash.length && timingSafeEqual(h, entry.hosts.hash);
  }
  let matched = false;
  for (const p of entry.hosts.patterns) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false; // a negated match excludes the line
    } else if (wildcardMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** A hashed known_hosts host field for a name: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const h = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${h.toString('base64')}`;
}

export type HostKeyLookup =
  | { status: 'known'; entry: KnownHostsEntry }
  | { status: 'revoked'; entry: KnownHostsEntry }
  | { status: 'changed'; entry: KnownHostsEntry }
  /** No plain entry, but a `@cert-authority` line names the host: its keys are signed, colo cannot check them. */
  | { status: 'cert-authority'; entry: KnownHostsEntry }
  /** No entry, but a line that cannot be parsed names the host. */
  | { status: 'unparseable'; line: number }
  /** No entry for this host with this key type (otherTypes: key types known for the host). */
  | { status: 'unknown'; otherTypes: string[] };

/** Look a presented key up for a host name. */
export function lookupHostKey(known: ParsedKnownHosts, name: string, key: Buffer): HostKeyLookup {
  const type = keyTypeOfBlob(key);
  // A revoked key is refused whatever host patterns the revocation line carries.
  for (const e of known.entries) {
    if (e.marker === 'revoked' && e.key.equals(key)) return { status: 'revoked', entry: e };
  }
  let changed: KnownHostsEntry | undefined;
  const otherTypes = new Set<string>();
  for (const e of known.entries) {
    if (e.marker) continue;
    if (!entryMatchesHost(e, name)) continue;
    if (e.keyType === type && e.key.equals(key)) return { status: 'known', entry: e };
    if (e.keyType === type) changed ??= e;
    else otherTypes.add(e.keyType);
  }
  if (changed) return { status: 'changed', entry: changed };
  // Not "unknown" (which --accept-new-host-keys would trust): known_hosts does say something about it.
  const ca = known.entries.find((e) => e.marker === 'cert-authority' && entryMatchesHost(e, name));
  if (ca) return { status: 'cert-authority', entry: ca };
  const bad = known.invalidHosts?.find((b) => entryMatchesHost(b, name));
  if (bad) return { status: 'unparseable', line: bad.line };
  return { status: 'unknown', otherTypes: [...otherTypes] };
}

/** Key types known for a host (to make ssh2 prefer them, as OpenSSH does). */
export function knownKeyTypes(known: ParsedKnownHosts, name: string): string[] {
  const types = new Set<string>();
  for (const e of known.entries) if (!e.marker && entryMatchesHost(e, name)) types.add(e.keyType);
  return [...types];
}
