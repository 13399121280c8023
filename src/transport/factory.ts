/**
 * Transports for the hosts of a spec: LocalTransport for `local: true`, otherwise the pooled
 * SshTransport (one connection per host, opened on first use).
 */
import type { HostSpec } from '../spec/types.ts';
import { LocalTransport } from './local-transport.ts';
import { SshPool } from './ssh-pool.ts';
import { sshTargetFromHost, type SshOptions } from './ssh-target.ts';
import type { Transport } from './types.ts';

export interface HostTransports {
  /** By host name. */
  get(host: string): Transport;
  readonly pool: SshPool;
  close(): Promise<void>;
}

export function createTransports(hosts: Record<string, HostSpec>, opts: SshOptions = {}): HostTransports {
  const pool = new SshPool(opts);
  const locals = new Map<string, LocalTransport>();
  return {
    pool,
    get(name: string): Transport {
      const h = hosts[name];
      if (!h) throw new Error(`unknown host ${name}`);
      if (h.local) {
        let t = locals.get(name);
        if (!t) {
          t = new LocalTransport(
            name,
            opts.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {},
          );
          locals.set(name, t);
        }
        return t;
      }
      return pool.get(sshTargetFromHost(h));
    },
    close: () => pool.close(),
  };
}
