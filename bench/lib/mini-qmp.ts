/**
 * A deliberately minimal QMP client over a node:net unix socket, for the hand-written baseline
 * script (bench/hand-apply.ts): greeting, qmp_capabilities, one command at a time, and every
 * event kept in arrival order with QEMU's timestamp. No retries, no reconnection, no timeouts
 * beyond the caller's own.
 */
import { connect, type Socket } from 'node:net';

export interface MiniEvent {
  event: string;
  data?: Record<string, unknown>;
  /** QEMU's clock, in ms since the epoch. */
  qemuMs: number;
  /** Index in the event list (0-based, arrival order). */
  index: number;
  /** performance.now() when it arrived here. */
  arrivedMs: number;
}

export class MiniQmp {
  readonly events: MiniEvent[] = [];
  private buf = '';
  /** Replies come back in command order: a FIFO of the callers waiting for them. */
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private waiters: (() => void)[] = [];
  private closedErr: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('close', () => this.fail(new Error('QMP socket closed')));
    sock.on('error', (e) => this.fail(e));
  }

  static async open(path: string): Promise<MiniQmp> {
    const sock = connect(path);
    await new Promise<void>((res, rej) => {
      sock.once('connect', () => res());
      sock.once('error', rej);
    });
    const q = new MiniQmp(sock);
    await new Promise<void>((res, rej) => {
      q.pending.push({ resolve: () => res(), reject: rej }); // the greeting
    });
    await q.cmd('qmp_capabilities');
    return q;
  }

  private fail(e: Error): void {
    this.closedErr ??= e;
    for (const p of this.pending.splice(0)) p.reject(e);
    for (const w of this.waiters.splice(0)) w();
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg.event === 'string') {
        const ts = msg.timestamp as { seconds: number; microseconds: number } | undefined;
        this.events.push({
          event: msg.event,
          data: msg.data as Record<string, unknown> | undefined,
          qemuMs: ts ? ts.seconds * 1000 + ts.microseconds / 1000 : Date.now(),
          index: this.events.length,
          arrivedMs: performance.now(),
        });
        for (const w of this.waiters.splice(0)) w();
        continue;
      }
      const p = this.pending.shift();
      if (!p) continue;
      if ('error' in msg) {
        const e = msg.error as { class: string; desc: string };
        p.reject(new Error(`${e.class}: ${e.desc}`));
      } else p.resolve('return' in msg ? msg.return : msg);
    }
  }

  /** One command and its answer. */
  cmd<T = unknown>(execute: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        resolve: resolve as (v: unknown) => void,
        reject: (e) => reject(new Error(`${execute}: ${e.message}`)),
      });
      this.sock.write(`${JSON.stringify(args === undefined ? { execute } : { execute, arguments: args })}\n`);
    });
  }

  /** Several commands written at once (one round trip); QEMU runs them in order. Rejects on the first error. */
  async pipeline(commands: readonly { execute: string; arguments?: Record<string, unknown> }[]): Promise<unknown[]> {
    const all = commands.map((c) => this.cmd(c.execute, c.arguments));
    const settled = await Promise.allSettled(all);
    const bad = settled.find((x) => x.status === 'rejected');
    if (bad) throw (bad as PromiseRejectedResult).reason;
    return settled.map((x) => (x as PromiseFulfilledResult<unknown>).value);
  }

  /** Resolves with the first event named `name` at index >= `from` that matches. */
  async waitEvent(
    name: string,
    from: number,
    match: (e: MiniEvent) => boolean = () => true,
    timeoutMs = 600_000,
  ): Promise<MiniEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.index >= from && x.event === name && match(x));
      if (e) return e;
      if (this.closedErr) throw this.closedErr;
      if (Date.now() > end) throw new Error(`no ${name} event within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
