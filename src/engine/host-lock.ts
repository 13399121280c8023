/**
 * Host locks: a command that changes hosts (apply, destroy, failover, drill) holds, besides the
 * state lock on this machine, a lock on every host it touches: flock on `<workDir>/.colo.lock`,
 * held by a program on the command's own SSH connection (src/render/scripts/host-lock.ts) until the
 * command ends. Two colo commands with different state files (or on different machines) therefore
 * never change one pair at once: the second is refused with the holder's identity and age.
 *
 * Hosts are locked one by one in name order, so of two commands that want the same hosts the first
 * to lock the first one wins and the other is refused before it locked anything. A host that cannot
 * be reached is not locked (the command finds it down); it is locked when it is next used, and again
 * after a dropped connection (the lock ended with it): before any call on a host, `ensure`.
 */
import type { HostSpec, Spec } from '../spec/types.ts';
import type { LockInfo } from '../state/types.ts';
import { HOST_LOCK_BUSY, HOST_LOCK_FILE, HOST_LOCK_HELD, hostLockArgv } from '../render/scripts/host-lock.ts';
import type { HeldProgram, Transport } from '../transport/types.ts';
import { HostLockError, hostLockRefusal, parseHostLockRecord } from './host-lock-holder.ts';

export { HostLockError } from './host-lock-holder.ts';

export const hostLockFile = (host: HostSpec): string => `${host.workDir.replace(/\/+$/, '')}/${HOST_LOCK_FILE}`;

/** How a command locks hosts: per host a timeout for taking the lock, and hosts it leaves unlocked. */
export interface HostLockOptions {
  /** The time to take one host's lock (SSH connection included), ms; undefined: 20 s. */
  timeoutFor?: (host: string) => number | undefined;
  /** Hosts the operator declared powered off (failover --i-have-fenced): never locked, never waited on. */
  exclude?: ReadonlySet<string>;
}

/** A host that could not be reached is not tried again for this long (the command finds it down at once). */
export const UNREACHABLE_RETRY_MS = 10_000;

export class HostLocks {
  private readonly held = new Map<string, HeldProgram>();
  private readonly taking = new Map<string, Promise<void>>();
  private readonly unreachable = new Map<string, { error: Error; atMs: number }>();
  private released = false;

  constructor(
    private readonly spec: Spec,
    private readonly holder: LockInfo,
    /** The host's transport without the lock check (the lock is taken through it). */
    private readonly rawTransport: (host: string) => Transport,
    private readonly now: () => Date = () => new Date(),
    private readonly options: HostLockOptions = {},
  ) {}

  /**
   * Locks `hosts` in name order. A HostLockError (held by another colo) releases what this call
   * took and is thrown; a host that cannot be reached is left unlocked and reported.
   */
  async lockAll(hosts: Iterable<string>): Promise<{ unreachable: { host: string; error: Error }[] }> {
    const unreachable: { host: string; error: Error }[] = [];
    const took: string[] = [];
    for (const host of [...new Set(hosts)].filter((h) => !this.options.exclude?.has(h)).sort()) {
      const had = this.isHeld(host);
      try {
        await this.ensure(host);
        if (!had) took.push(host);
      } catch (err) {
        if (!(err instanceof HostLockError)) {
          unreachable.push({ host, error: err as Error });
          continue;
        }
        await Promise.all(took.map((h) => this.releaseHost(h)));
        throw err;
      }
    }
    return { unreachable };
  }

  isHeld(host: string): boolean {
    const h = this.held.get(host);
    return !!h && !h.isEnded;
  }

  /** Resolves once this command holds the host's lock (taking it if needed); throws HostLockError when held. */
  ensure(host: string): Promise<void> {
    if (this.isHeld(host) || this.options.exclude?.has(host)) return Promise.resolve();
    if (this.released) return Promise.reject(new Error(`host locks already released (${host})`));
    const down = this.unreachable.get(host);
    if (down && this.now().getTime() - down.atMs < UNREACHABLE_RETRY_MS) return Promise.reject(down.error);
    let p = this.taking.get(host);
    if (!p) {
      p = this.take(host)
        .catch((err: unknown) => {
          if (!(err instanceof HostLockError))
            this.unreachable.set(host, { error: err as Error, atMs: this.now().getTime() });
          throw err;
        })
        .finally(() => this.taking.delete(host));
      this.taking.set(host, p);
    }
    return p;
  }

  private async take(host: string): Promise<void> {
    const spec = this.spec.hosts[host];
    if (!spec) throw new Error(`unknown host ${host}`);
    const file = hostLockFile(spec);
    const record = JSON.stringify(this.holder);
    const out = await this.rawTransport(host).hold(hostLockArgv(spec.workDir, record), {
      readyLine: HOST_LOCK_HELD,
      timeoutMs: this.options.timeoutFor?.(host) ?? 20_000,
    });
    if (out.held) {
      this.unreachable.delete(host);
      this.held.set(host, out.held);
      return;
    }
    const r = out.result;
    if (r.code === HOST_LOCK_BUSY) {
      throw new HostLockError(host, hostLockRefusal(host, file, parseHostLockRecord(r.stdout), this.now()), null);
    }
    const why = r.stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${r.code ?? r.signal}`;
    throw new HostLockError(host, `cannot take the host lock of ${host} (${file}): ${why}`, null);
  }

  private async releaseHost(host: string): Promise<void> {
    const h = this.held.get(host);
    this.held.delete(host);
    await h?.release().catch(() => undefined);
  }

  /** Releases every host lock; later `ensure` calls fail. */
  async releaseAll(): Promise<void> {
    this.released = true;
    await Promise.allSettled([...this.taking.values()]);
    await Promise.all([...this.held.keys()].map((h) => this.releaseHost(h)));
  }
}
