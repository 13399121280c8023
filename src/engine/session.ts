/**
 * A run's connections: one Transport per host (opened lazily, reused for everything) and one QMP
 * client per (host, VM), also reused. Observation and apply share a session, so a run opens each
 * SSH connection once. A command that changes hosts also holds their host locks (lockHosts): every
 * transport call then first makes sure the lock is still held, and close() releases the locks last.
 */
import type { Spec } from '../spec/types.ts';
import type { LockInfo } from '../state/types.ts';
import type { Transport } from '../transport/types.ts';
import { QmpClient } from '../qmp/client.ts';
import { vmPaths } from '../render/paths.ts';
import { HostLocks, type HostLockOptions } from './host-lock.ts';
import { LockedTransport } from './locked-transport.ts';

export type TransportFactory = (hostName: string) => Transport;

export class Session {
  private readonly transports = new Map<string, Transport>();
  private readonly qmps = new Map<string, Promise<QmpClient>>();
  private hostLocks: HostLocks | undefined;

  constructor(
    readonly spec: Spec,
    private readonly makeTransport: TransportFactory,
  ) {}

  transport(host: string): Transport {
    let t = this.transports.get(host);
    if (!t) {
      const raw = this.makeTransport(host);
      t = this.hostLocks ? new LockedTransport(raw, this.hostLocks) : raw;
      this.transports.set(host, t);
    }
    return t;
  }

  /**
   * From now on this session holds the host lock of every host it uses, for `holder` (the command's
   * state lock info); locks `hosts` now, in name order. Throws a HostLockError when another colo
   * holds one of them; a host that cannot be reached is locked when it is next used.
   */
  async lockHosts(
    holder: LockInfo,
    hosts: Iterable<string>,
    options: HostLockOptions = {},
  ): Promise<{ unreachable: { host: string; error: Error }[] }> {
    if (this.transports.size > 0) throw new Error('lockHosts must come before the first use of a host');
    const raws = new Map<string, Transport>();
    const raw = (h: string): Transport => {
      let t = raws.get(h);
      if (!t) raws.set(h, (t = this.makeTransport(h)));
      return t;
    };
    this.hostLocks = new HostLocks(this.spec, holder, raw, undefined, options);
    return this.hostLocks.lockAll(hosts);
  }

  /**
   * The QMP client of a VM's QEMU on a host, connected once and reused until it closes. `timeoutMs`
   * bounds the socket, the greeting and the capabilities' answer together (default 10 s); `oob`
   * negotiates out-of-band commands when QEMU offers them (only a new connection asks).
   */
  async qmp(host: string, vmName: string, opts: { timeoutMs?: number; oob?: boolean } = {}): Promise<QmpClient> {
    const key = `${host}\u0000${vmName}`;
    const existing = this.qmps.get(key);
    if (existing) {
      const client = await existing.catch(() => null);
      if (client && !client.closed) return client;
      this.qmps.delete(key);
    }
    const vm = this.spec.vms.find((v) => v.name === vmName);
    if (!vm) throw new Error(`unknown VM ${vmName}`);
    const sock = vmPaths(this.spec, vm, host).qmpSocket;
    const deadline = opts.timeoutMs ?? 10_000;
    const p = (async () => {
      const t0 = performance.now();
      const stream = await this.transport(host).openUnixSocket(sock, { timeoutMs: deadline });
      const left = Math.max(1, Math.round(deadline - (performance.now() - t0)));
      return QmpClient.connect(stream, { timeoutMs: left, label: `${vmName} on ${host}`, oob: opts.oob === true });
    })();
    this.qmps.set(key, p);
    p.catch(() => this.qmps.delete(key));
    return p;
  }

  /** Forget a QMP client (its QEMU was stopped). */
  dropQmp(host: string, vmName: string): void {
    const key = `${host}\u0000${vmName}`;
    const p = this.qmps.get(key);
    this.qmps.delete(key);
    p?.then((c) => c.close()).catch(() => undefined);
  }

  /** Close every QMP client but keep the SSH connections (between the refreshes of status --watch and metrics). */
  async dropAllQmp(): Promise<void> {
    const clients = [...this.qmps.values()];
    this.qmps.clear();
    await Promise.all(clients.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  async close(): Promise<void> {
    const clients = [...this.qmps.values()];
    this.qmps.clear();
    await Promise.all(clients.map((p) => p.then((c) => c.close()).catch(() => undefined)));
    await this.hostLocks?.releaseAll();
    const ts = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(ts.map((t) => t.close().catch(() => undefined)));
  }
}
