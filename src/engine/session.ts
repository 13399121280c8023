/**
 * A run's connections: one Transport per host (opened lazily, reused for everything) and one QMP
 * client per (host, VM), also reused. Observation and apply share a session, so a run opens each
 * SSH connection once.
 */
import type { Spec } from '../spec/types.ts';
import type { Transport } from '../transport/types.ts';
import { QmpClient } from '../qmp/client.ts';
import { vmPaths } from '../render/paths.ts';

export type TransportFactory = (hostName: string) => Transport;

export class Session {
  private readonly transports = new Map<string, Transport>();
  private readonly qmps = new Map<string, Promise<QmpClient>>();

  constructor(
    readonly spec: Spec,
    private readonly makeTransport: TransportFactory,
  ) {}

  transport(host: string): Transport {
    let t = this.transports.get(host);
    if (!t) {
      t = this.makeTransport(host);
      this.transports.set(host, t);
    }
    return t;
  }

  /** The QMP client of a VM's QEMU on a host, connected once and reused until it closes. */
  async qmp(host: string, vmName: string, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
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
    const p = (async () => {
      const stream = await this.transport(host).openUnixSocket(sock, { timeoutMs: opts.timeoutMs ?? 10_000 });
      return QmpClient.connect(stream, { timeoutMs: opts.timeoutMs ?? 10_000, label: `${vmName} on ${host}` });
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
    const ts = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(ts.map((t) => t.close().catch(() => undefined)));
  }
}
