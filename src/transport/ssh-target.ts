/** Where and how to reach one SSH host, and the ssh transport's options. */
import type { HostSpec } from '../spec/types.ts';
import type { HostKeyVerdict } from './host-key-policy.ts';

/** Where and how to reach one host. */
export interface SshTarget {
  /** Host name (spec key), for messages and the pool. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file; when absent the ssh-agent ($SSH_AUTH_SOCK) is used. */
  identityFile?: string;
  passphrase?: string;
  /** Pinned host key "TYPE BASE64"; known_hosts is then not consulted. */
  hostKey?: string;
}

export interface SshOptions {
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Accept and record keys of unknown hosts (--accept-new-host-keys). */
  acceptNewHostKeys?: boolean;
  /** Milliseconds for TCP connect + SSH handshake + auth (default 20000). */
  readyTimeoutMs?: number;
  /** SSH keepalive interval (default 10000; 3 unanswered = connection dropped). */
  keepaliveIntervalMs?: number;
  /** Concurrent exec channels per connection (default 8). */
  maxSessions?: number;
  /** Default per-call timeout (default 30000). */
  defaultTimeoutMs?: number;
  /** Told about every accepted host key (e.g. to print "recorded new host key ..."). */
  onHostKey?: (host: string, verdict: HostKeyVerdict) => void;
}

/** SshTarget from a spec host (which must have ssh settings). */
export function sshTargetFromHost(host: HostSpec): SshTarget {
  if (!host.ssh) throw new Error(`host ${host.name} has no ssh settings`);
  const s = host.ssh;
  return {
    name: host.name,
    address: s.address,
    port: s.port,
    user: s.user,
    ...(s.identityFile !== undefined ? { identityFile: s.identityFile } : {}),
    ...(s.hostKey !== undefined ? { hostKey: s.hostKey } : {}),
  };
}

/** "host NAME (ADDRESS:PORT)", for messages. */
export function whereOf(t: SshTarget): string {
  return `host ${t.name} (${t.address}:${t.port})`;
}
