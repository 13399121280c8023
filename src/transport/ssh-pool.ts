/**
 * One SshTransport per host name for the whole run, and process-wide cleanup: every pool registers
 * itself so closeAllTransports() (and the SIGINT/SIGTERM/exit handlers from installTransportCleanup)
 * can close every SSH connection the process opened.
 */
import type { SshOptions, SshTarget } from './ssh-target.ts';
import { SshTransport } from './ssh-transport.ts';

const livePools = new Set<SshPool>();

export class SshPool {
  private readonly transports = new Map<string, SshTransport>();

  constructor(readonly options: SshOptions = {}) {
    livePools.add(this);
  }

  /** The transport for a host, created on first use (connecting happens lazily on its first call). */
  get(target: SshTarget): SshTransport {
    const existing = this.transports.get(target.name);
    if (existing) {
      const t = existing.target;
      if (t.address !== target.address || t.port !== target.port || t.user !== target.user) {
        throw new Error(`host ${target.name} is already in the pool as ${t.user}@${t.address}:${t.port}`);
      }
      return existing;
    }
    const created = new SshTransport(target, this.options);
    this.transports.set(target.name, created);
    return created;
  }

  all(): SshTransport[] {
    return [...this.transports.values()];
  }

  async close(): Promise<void> {
    livePools.delete(this);
    const ts = this.all();
    this.transports.clear();
    await Promise.allSettled(ts.map((t) => t.close()));
  }

  destroy(): void {
    livePools.delete(this);
    for (const t of this.transports.values()) t.destroy();
    this.transports.clear();
  }
}

/** Close every SSH connection of every pool in this process. */
export async function closeAllTransports(): Promise<void> {
  await Promise.allSettled([...livePools].map((p) => p.close()));
}

let installed: (() => void) | undefined;

/**
 * On SIGINT/SIGTERM close all transports, then exit 130/143 (unless `exit: false`, when the caller's own
 * handlers decide). On process exit, tear down synchronously. Returns an uninstall function; idempotent.
 */
export function installTransportCleanup(opts: { exit?: boolean } = {}): () => void {
  if (installed) return installed;
  const onSignal = (sig: NodeJS.Signals): void => {
    void closeAllTransports().finally(() => {
      if (opts.exit ?? true) process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  };
  const onExit = (): void => {
    for (const p of [...livePools]) p.destroy();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  installed = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
    installed = undefined;
  };
  return installed;
}
