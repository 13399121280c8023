/**
 * An in-process fake QMP peer for unit tests: a Duplex whose writes are parsed as client commands and
 * whose readable side is fed exactly the chunks the test chooses (so chunk splits are deterministic).
 */
import { Duplex } from 'node:stream';

export type Msg = Record<string, unknown> & { execute?: string; id?: unknown; arguments?: Record<string, unknown> };

export const GREETING = {
  QMP: {
    version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' },
    capabilities: ['oob'],
  },
};

export class FakeQmpPeer {
  readonly stream: Duplex;
  /** Every command the client wrote, parsed, in order. */
  readonly received: Msg[] = [];
  /** Raw text the client wrote. */
  written = '';
  /** Answer qmp_capabilities automatically (default true). */
  autoCapabilities = true;
  /** Optional auto-responder for other commands. */
  handler: ((msg: Msg, peer: FakeQmpPeer) => void) | undefined;
  private partial = '';
  private ended = false;
  private listeners: Array<() => void> = [];

  constructor() {
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.onClientData(chunk.toString('utf8'));
        cb();
      },
      // like QEMU: when the client ends its side, the peer closes too
      final: (cb) => {
        this.end();
        cb();
      },
    });
  }

  private onClientData(text: string): void {
    this.written += text;
    this.partial += text;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      const msg = JSON.parse(line) as Msg;
      this.received.push(msg);
      if (msg.execute === 'qmp_capabilities' && this.autoCapabilities) this.reply(msg, {});
      else this.handler?.(msg, this);
      for (const l of this.listeners.splice(0)) l();
    }
  }

  /** Push raw text to the client as one chunk. */
  raw(text: string): void {
    this.stream.push(text);
  }

  /** Push one QMP message (\r\n-terminated like QEMU). */
  send(obj: unknown): void {
    this.raw(`${JSON.stringify(obj)}\r\n`);
  }

  greet(): void {
    this.send(GREETING);
  }

  reply(msg: Msg, ret: unknown): void {
    this.send({ return: ret, id: msg.id });
  }

  replyError(msg: Msg, cls: string, desc: string): void {
    this.send({ id: msg.id, error: { class: cls, desc } });
  }

  event(name: string, data?: Record<string, unknown>): void {
    this.send({ timestamp: { seconds: 1, microseconds: 2 }, event: name, ...(data ? { data } : {}) });
  }

  /** Resolve once the client has sent `count` commands named `name` (or any command if name is undefined). */
  async waitFor(name: string | undefined, count = 1): Promise<Msg[]> {
    for (;;) {
      const hits = this.received.filter((m) => name === undefined || m.execute === name);
      if (hits.length >= count) return hits;
      await new Promise<void>((resolve) => this.listeners.push(resolve));
    }
  }

  /** The peer ends its side (EOF), like QEMU closing the socket. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.push(null);
  }
}

/** Let pending I/O callbacks and microtasks run. */
export function tick(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
