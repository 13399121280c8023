/**
 * How colo authenticates to a host (an identity file, else the ssh-agent) and which host key
 * algorithms it offers (the pinned or known type first, so a genuine host negotiates the recorded one).
 */
import { readFile } from 'node:fs/promises';
import type { ConnectConfig } from 'ssh2';
import { knownHostsName, knownKeyTypes } from './known-hosts.ts';
import { defaultKnownHostsFile, readKnownHosts } from './known-hosts-file.ts';
import { loadSsh2 } from './ssh2-module.ts';
import { parsePublicKey } from './ssh-keys.ts';
import type { SshTarget } from './ssh-target.ts';
import { TransportError } from './types.ts';

/** ssh2's auth settings for a target: its identity file, parsed to catch passphrase problems early, or the agent. */
export async function authConfig(t: SshTarget): Promise<Partial<ConnectConfig>> {
  if (t.identityFile !== undefined) return identityFileAuth(t, t.identityFile);
  const sock = process.env.SSH_AUTH_SOCK;
  if (!sock) {
    throw new TransportError(
      t.name,
      `host ${t.name} has no identityFile, so colo uses the ssh-agent, but SSH_AUTH_SOCK is not set; ` +
        `start an agent and add a key (eval "$(ssh-agent)"; ssh-add), or set identityFile for the host in the spec`,
      'ENOAGENT',
    );
  }
  return { agent: sock };
}

async function identityFileAuth(t: SshTarget, identityFile: string): Promise<Partial<ConnectConfig>> {
  let key: Buffer;
  try {
    key = await readFile(identityFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TransportError(
      t.name,
      `cannot read identity file ${identityFile} for host ${t.name}: ${code ?? (e as Error).message}`,
      code,
    );
  }
  const { utils } = await loadSsh2();
  const parsed = utils.parseKey(key, t.passphrase);
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) {
      throw new TransportError(
        t.name,
        `identity file ${identityFile} for host ${t.name} is protected by a passphrase; add it to the ` +
          `ssh-agent ` +
          `(ssh-add ${identityFile}) and leave identityFile out of the spec, or use a key without a passphrase`,
        'EPASSPHRASE',
      );
    }
    if (/bad passphrase/i.test(parsed.message)) {
      throw new TransportError(
        t.name,
        `wrong passphrase for identity file ${identityFile} (host ${t.name})`,
        'EPASSPHRASE',
      );
    }
    throw new TransportError(
      t.name,
      `identity file ${identityFile} for host ${t.name} is not a usable private key: ${parsed.message}`,
      'EKEY',
    );
  }
  return { privateKey: key, ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}) };
}

/** ssh2 host key algorithm names for a key type found in known_hosts. */
function algorithmsForKeyType(t: string): string[] {
  return t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
}
const DEFAULT_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Host key algorithms in the order to offer: the pinned type or the types known_hosts has, first. */
export async function hostKeyAlgorithms(t: SshTarget, knownHostsFile: string | undefined): Promise<string[]> {
  let preferred: string[] = [];
  if (t.hostKey !== undefined) {
    try {
      preferred = [parsePublicKey(t.hostKey).keyType];
    } catch {
      preferred = []; // the verifier reports the invalid pin
    }
  } else {
    const file = knownHostsFile ?? defaultKnownHostsFile();
    const { parsed } = await readKnownHosts(file, t.name); // fails closed when unreadable
    preferred = knownKeyTypes(parsed, knownHostsName(t.address, t.port));
  }
  const first = preferred.flatMap(algorithmsForKeyType).filter((a) => DEFAULT_HOST_KEY_ALGOS.includes(a));
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGOS])];
}
