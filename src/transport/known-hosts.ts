/**
 * OpenSSH known_hosts parsing and the host-key policy colo applies (ssh2 accepts any key by itself).
 *
 * Policy, in order:
 *  1. a key pinned in the spec (`hostKey:`) wins: it must match, else the host is refused;
 *  2. otherwise the known_hosts file (default ~/.ssh/known_hosts): a matching entry accepts; an entry of
 *     the same key type with other bytes means the key changed and is always refused; a key listed as
 *     `@revoked` is always refused; an unknown host is refused unless `acceptNew` is set, in which case
 *     the key is accepted and recorded as a *hashed* entry (`|1|salt|hmac`, like `HashKnownHosts yes`);
 *  3. a known_hosts that exists but cannot be read (permissions, a directory) fails closed.
 * `@cert-authority` lines are ignored (colo does not do host certificates).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { HostKeyError } from './types.ts';

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
  /** Lines that could not be parsed (ignored, like OpenSSH does). */
  invalidLines: number[];
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type stored at the start of an SSH public key blob (string length + name). */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parse "ssh-ed25519 AAAA... [comment]" (the .pub / spec `hostKey:` form). */
export function parsePublicKey(text: string): { keyType: string; key: Buffer } {
  const parts = text.trim().split(/\s+/);
  const [keyType, b64] = parts;
  if (!keyType || !b64)
    throw new Error(`not an OpenSSH public key (expected "TYPE BASE64"): ${JSON.stringify(text.slice(0, 40))}`);
  const key = Buffer.from(b64, 'base64');
  if (keyTypeOfBlob(key) !== keyType) {
    throw new Error(`not an OpenSSH public key: the key data does not encode a ${keyType} key`);
  }
  return { keyType, key };
}

/** OpenSSH public key text for a blob: "TYPE BASE64". */
export function formatPublicKey(key: Buffer): string {
  const t = keyTypeOfBlob(key);
  if (!t) throw new Error('not an SSH public key blob');
  return `${t} ${key.toString('base64')}`;
}

export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostsEntry[] = [];
  const invalidLines: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        invalidLines.push(i + 1);
        continue;
      }
    }
    const [hostField, keyType, b64] = fields;
    if (!hostField || !keyType || !b64) {
      invalidLines.push(i + 1);
      continue;
    }
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOfBlob(key) === undefined) {
      invalidLines.push(i + 1);
      continue;
    }
    let hosts: KnownHostsEntry['hosts'];
    if (hostField.startsWith('|1|')) {
      const [, , salt, hash] = hostField.split('|');
      if (!salt || !hash) {
        invalidLines.push(i + 1);
        continue;
      }
      hosts = { kind: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
      if (hosts.salt.length !== 20 || hosts.hash.length !== 20) {
        invalidLines.push(i + 1);
        continue;
      }
    } else {
      hosts = { kind: 'patterns', patterns: hostField.split(',').filter((p) => p !== '') };
    }
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  }
  return { entries, invalidLines };
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
export function entryMatchesHost(entry: KnownHostsEntry, name: string): boolean {
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
  return { status: 'unknown', otherTypes: [...otherTypes] };
}

/** Key types known for a host (to make ssh2 prefer them, as OpenSSH does). */
export function knownKeyTypes(known: ParsedKnownHosts, name: string): string[] {
  const types = new Set<string>();
  for (const e of known.entries) if (!e.marker && entryMatchesHost(e, name)) types.add(e.keyType);
  return [...types];
}

export function defaultKnownHostsFile(): string {
  return `${homedir()}/.ssh/known_hosts`;
}

/** Minimal fs surface used by the verifier (injectable in tests). */
export interface KnownHostsFs {
  readFile(path: string): Promise<string>;
  appendFile(path: string, data: string, mode: number): Promise<void>;
  mkdir(path: string, mode: number): Promise<void>;
}

export const nodeKnownHostsFs: KnownHostsFs = {
  readFile: (p) => fsp.readFile(p, 'utf8'),
  appendFile: (p, d, mode) => fsp.appendFile(p, d, { mode }),
  mkdir: async (p, mode) => {
    await fsp.mkdir(p, { recursive: true, mode });
  },
};

/** Read a known_hosts file: missing = empty; anything else unreadable = HostKeyError (fail closed). */
export async function readKnownHosts(
  file: string,
  hostName: string,
  fs: KnownHostsFs = nodeKnownHostsFs,
): Promise<{ parsed: ParsedKnownHosts; text: string }> {
  try {
    const text = await fs.readFile(file);
    return { parsed: parseKnownHosts(text), text };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { parsed: { entries: [], invalidLines: [] }, text: '' };
    throw new HostKeyError(
      hostName,
      `cannot read known hosts file ${file} (${code ?? (e as Error).message}); refusing to connect to ` +
        `${hostName} without checking its host key`,
    );
  }
}

export interface HostKeyPolicy {
  /** Host name in the spec, for messages. */
  host: string;
  address: string;
  port: number;
  /** Pinned key "TYPE BASE64" from the spec; when set, known_hosts is not consulted. */
  pinnedKey?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Accept and record a key for an unknown host (--accept-new-host-keys). */
  acceptNew?: boolean;
  fs?: KnownHostsFs;
}

export type HostKeyVerdict =
  | { accepted: 'pinned'; fingerprint: string }
  | { accepted: 'known'; fingerprint: string; file: string; line: number }
  | { accepted: 'new'; fingerprint: string; file: string };

/** Decide whether to trust a presented host key blob; throws HostKeyError when refusing. */
export async function verifyHostKey(policy: HostKeyPolicy, key: Buffer): Promise<HostKeyVerdict> {
  const fp = fingerprint(key);
  const type = keyTypeOfBlob(key) ?? 'unknown';
  const where = `${policy.host} (${policy.address}:${policy.port})`;

  if (policy.pinnedKey !== undefined) {
    let pinned: { keyType: string; key: Buffer };
    try {
      pinned = parsePublicKey(policy.pinnedKey);
    } catch (e) {
      throw new HostKeyError(
        policy.host,
        `host ${policy.host}: the pinned hostKey is invalid: ${(e as Error).message}`,
        fp,
      );
    }
    if (pinned.keyType === type && pinned.key.equals(key)) return { accepted: 'pinned', fingerprint: fp };
    throw new HostKeyError(
      policy.host,
      `host key for ${where} does not match the key pinned in the spec: ` +
        `pinned ${pinned.keyType} ${fingerprint(pinned.key)}, host presented ${type} ${fp}. ` +
        `Refusing to connect (possible man-in-the-middle). If the host was reinstalled, update hostKey: in the spec.`,
      fp,
    );
  }

  const file = policy.knownHostsFile ?? defaultKnownHostsFile();
  const fs = policy.fs ?? nodeKnownHostsFs;
  const name = knownHostsName(policy.address, policy.port);
  const { parsed, text } = await readKnownHosts(file, policy.host, fs);
  const found = lookupHostKey(parsed, name, key);
  switch (found.status) {
    case 'known':
      return { accepted: 'known', fingerprint: fp, file, line: found.entry.line };
    case 'revoked':
      throw new HostKeyError(
        policy.host,
        `host key ${type} ${fp} presented by ${where} is marked @revoked in ${file}:${found.entry.line}; ` +
          `refusing to connect`,
        fp,
      );
    case 'changed':
      throw new HostKeyError(
        policy.host,
        `HOST KEY CHANGED for ${where} (${name}): ${file}:${found.entry.line} has ${found.entry.keyType} ` +
          `${fingerprint(found.entry.key)}, the host now presents ${type} ${fp}. Refusing to connect ` +
          `(possible man-in-the-middle). If the host was legitimately reinstalled, remove the old entry ` +
          `(ssh-keygen -R '${name}' -f ${file}) or pin the new key with hostKey: in the spec.`,
        fp,
      );
    case 'unknown': {
      if (!policy.acceptNew) {
        const others =
          found.otherTypes.length > 0 ? ` (${file} only has ${found.otherTypes.join(', ')} keys for it)` : '';
        throw new HostKeyError(
          policy.host,
          `unknown host key for ${where}: ${type} ${fp} is not in ${file}${others}. ` +
            `Check the fingerprint on the host (ssh-keygen -lf ` +
            `/etc/ssh/ssh_host_${type.replace(/^ssh-/, '')}_key.pub), then ` +
            `re-run with --accept-new-host-keys to record it, or pin it in the spec as hostKey: ` +
            `"${formatPublicKey(key)}".`,
          fp,
        );
      }
      if (found.otherTypes.length > 0) {
        // Recording a second key type for a host that already has keys would let an attacker pick a
        // type we have no record of. The ssh transport prefers known types, so a genuine host
        // negotiates the recorded one and never gets here.
        throw new HostKeyError(
          policy.host,
          `host ${where} presented a ${type} key (${fp}) but ${file} only has ${found.otherTypes.join(', ')} ` +
            `keys for it; ` +
            `refusing to record a different key type automatically. Pin the key with hostKey: in the spec if it ` +
            `is right.`,
          fp,
        );
      }
      await fs.mkdir(dirname(file), 0o700);
      const sep = text !== '' && !text.endsWith('\n') ? '\n' : '';
      await fs.appendFile(file, `${sep}${hashHostName(name)} ${formatPublicKey(key)}\n`, 0o600);
      return { accepted: 'new', fingerprint: fp, file };
    }
  }
}
