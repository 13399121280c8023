/**
 * The host-key policy colo applies (ssh2 accepts any key by itself). In order:
 *  1. a key pinned in the spec (`hostKey:`) wins: it must match, else the host is refused;
 *  2. otherwise the known_hosts file (default ~/.ssh/known_hosts): a matching entry accepts; an entry of
 *     the same key type with other bytes means the key changed and is always refused; a key listed as
 *     `@revoked` is always refused; an unknown host is refused unless `acceptNew` is set, in which case
 *     the key is accepted and recorded as a *hashed* entry (`|1|salt|hmac`, like `HashKnownHosts yes`);
 *  3. a known_hosts that exists but cannot be read (permissions, a directory) fails closed;
 *  4. a host that known_hosts names only through a `@cert-authority` line, or in a line that cannot
 *     be parsed, is refused (even with `acceptNew`): colo cannot verify host certificates (ssh2 does not
 *     do them), and a line it cannot read is no proof that the host is new.
 */
import { dirname } from 'node:path';
import { hashHostName, knownHostsName, lookupHostKey } from './known-hosts.ts';
import { defaultKnownHostsFile, nodeKnownHostsFs, readKnownHosts } from './known-hosts-file.ts';
import type { KnownHostsFs } from './known-hosts-file.ts';
import { fingerprint, formatPublicKey, keyTypeOfBlob, parsePublicKey } from './ssh-keys.ts';
import { HostKeyError } from './types.ts';

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

/** The presented key, as the messages name it. */
interface Presented {
  key: Buffer;
  fp: string;
  type: string;
  /** "NAME (ADDRESS:PORT)" */
  where: string;
}

/** Decide whether to trust a presented host key blob; throws HostKeyError when refusing. */
export async function verifyHostKey(policy: HostKeyPolicy, key: Buffer): Promise<HostKeyVerdict> {
  const p: Presented = {
    key,
    fp: fingerprint(key),
    type: keyTypeOfBlob(key) ?? 'unknown',
    where: `${policy.host} (${policy.address}:${policy.port})`,
  };
  if (policy.pinnedKey !== undefined) return checkPinned(policy, policy.pinnedKey, p);

  const file = policy.knownHostsFile ?? defaultKnownHostsFile();
  const fs = policy.fs ?? nodeKnownHostsFs;
  const name = knownHostsName(policy.address, policy.port);
  const { parsed, text } = await readKnownHosts(file, policy.host, fs);
  const found = lookupHostKey(parsed, name, key);
  switch (found.status) {
    case 'known':
      return { accepted: 'known', fingerprint: p.fp, file, line: found.entry.line };
    case 'revoked':
      throw new HostKeyError(
        policy.host,
        `host key ${p.type} ${p.fp} presented by ${p.where} is marked @revoked in ${file}:${found.entry.line}; ` +
          `refusing to connect`,
        p.fp,
      );
    case 'changed':
      throw new HostKeyError(
        policy.host,
        `HOST KEY CHANGED for ${p.where} (${name}): ${file}:${found.entry.line} has ${found.entry.keyType} ` +
          `${fingerprint(found.entry.key)}, the host now presents ${p.type} ${p.fp}. Refusing to connect ` +
          `(possible man-in-the-middle). If the host was legitimately reinstalled, remove the old entry ` +
          `(ssh-keygen -R '${name}' -f ${file}) or pin the new key with hostKey: in the spec.`,
        p.fp,
      );
    case 'cert-authority':
      throw new HostKeyError(
        policy.host,
        `host ${p.where} (${name}) is known in ${file}:${found.entry.line} only through a @cert-authority ` +
          `line: colo cannot verify CA-signed host keys (host certificates) and will not trust its key ` +
          `${p.type} ${p.fp} on first use, not even with --accept-new-host-keys. Check the fingerprint on ` +
          `the host, then pin it in the spec as hostKey: "${formatPublicKey(p.key)}", or add a plain ` +
          `known_hosts line for ${name}.`,
        p.fp,
      );
    case 'unparseable':
      throw new HostKeyError(
        policy.host,
        `${file}:${found.line} names ${p.where} (${name}) but cannot be parsed; colo will not treat the ` +
          `host as new while its known_hosts line is unreadable. Fix or remove that line ` +
          `(ssh-keygen -R '${name}' -f ${file}), or pin the host's key in the spec with hostKey:.`,
        p.fp,
      );
    case 'unknown':
      refuseUnknown(policy, file, found.otherTypes, p);
      await fs.mkdir(dirname(file), 0o700);
      // An append, not a temp-file rewrite: connects to several hosts run at once and may each record a key;
      // a rewrite of what each read would drop the others' lines. It also keeps the file's mode and links.
      await fs.appendFile(file, `${separator(text)}${hashHostName(name)} ${formatPublicKey(key)}\n`, 0o600);
      return { accepted: 'new', fingerprint: p.fp, file };
  }
}

/** A newline first when the file does not end with one. */
function separator(text: string): string {
  return text !== '' && !text.endsWith('\n') ? '\n' : '';
}

function checkPinned(policy: HostKeyPolicy, pinnedKey: string, p: Presented): HostKeyVerdict {
  let pinned: { keyType: string; key: Buffer };
  try {
    pinned = parsePublicKey(pinnedKey);
  } catch (e) {
    throw new HostKeyError(
      policy.host,
      `host ${policy.host}: the pinned hostKey is invalid: ${(e as Error).message}`,
      p.fp,
    );
  }
  if (pinned.keyType === p.type && pinned.key.equals(p.key)) return { accepted: 'pinned', fingerprint: p.fp };
  throw new HostKeyError(
    policy.host,
    `host key for ${p.where} does not match the key pinned in the spec: ` +
      `pinned ${pinned.keyType} ${fingerprint(pinned.key)}, host presented ${p.type} ${p.fp}. ` +
      `Refusing to connect (possible man-in-the-middle). If the host was reinstalled, update hostKey: in the spec.`,
    p.fp,
  );
}

/** An unknown host is recorded only with acceptNew, and only when known_hosts has no other key type for it. */
function refuseUnknown(policy: HostKeyPolicy, file: string, otherTypes: string[], p: Presented): void {
  if (!policy.acceptNew) {
    const others = otherTypes.length > 0 ? ` (${file} only has ${otherTypes.join(', ')} keys for it)` : '';
    throw new HostKeyError(
      policy.host,
      `unknown host key for ${p.where}: ${p.type} ${p.fp} is not in ${file}${others}. ` +
        `Check the fingerprint on the host (ssh-keygen -lf ` +
        `/etc/ssh/ssh_host_${p.type.replace(/^ssh-/, '')}_key.pub), then ` +
        `re-run with --accept-new-host-keys to record it, or pin it in the spec as hostKey: ` +
        `"${formatPublicKey(p.key)}".`,
      p.fp,
    );
  }
  if (otherTypes.length > 0) {
    // Recording a second key type for a host that already has keys would let an attacker pick a
    // type we have no record of. The ssh transport prefers known types, so a genuine host
    // negotiates the recorded one and never gets here.
    throw new HostKeyError(
      policy.host,
      `host ${p.where} presented a ${p.type} key (${p.fp}) but ${file} only has ${otherTypes.join(', ')} ` +
        `keys for it; ` +
        `refusing to record a different key type automatically. Pin the key with hostKey: in the spec if it ` +
        `is right.`,
      p.fp,
    );
  }
}
