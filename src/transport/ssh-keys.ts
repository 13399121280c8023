/** SSH public keys: the blob's key type, the OpenSSH text form, and fingerprints as ssh-keygen shows them. */
import { createHash } from 'node:crypto';

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
