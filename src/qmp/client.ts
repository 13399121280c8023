/**
 * QMP client over any node Duplex: a net.Socket to a unix socket, an ssh2 streamlocal channel, ...
 *
 * Wire format: one JSON object per line (QEMU ends lines with "\r\n"). Requests carry a unique `id`
 * and replies are matched by that id, never by order. Events are delivered separately, numbered with
 * a client-local sequence number and kept in a small ring buffer so a caller can wait for an event
 * that may already have arrived (`waitForEvent(..., { since })`).
 */
import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import { QmpConnectionError, QmpError, QmpTimeoutError } from './types.ts';
import type { QmpCommand, QmpEventRecord, QmpGreeting } from './types.ts';

export interface QmpConnectOptions {
  /** Time allowed for the greeting plus the qmp_capabilities handshake. Default 10 000 ms. */
  timeoutMs?: number;
  /** Default per-call timeout for execute()/executeAll(); 0 disables it. Default 30 000 ms. */
  callTimeoutMs?: number;
  /** How many recent events to keep for waitForEvent({ since }). Default 256. */
  eventBufferSize?: number;
  /** Names the peer in error messages, e.g. "primary 127.0.0.11". */
  label?: string;
  /** Raw traffic hook (debug traces). Called with each line sent or received, without the line end. */
  trace?: (direction: 'send' | 'recv', line: string) => void;
}

export interface QmpCallOptions {
  /** Overrides the client's default call timeout; 0 disables it. */
  timeoutMs?: number;
}

export interface QmpSequenceOptions extends QmpCallOptions {
  /** Called after each command of a sequence succeeds. */
  onResult?: (index: number, command: QmpCommand, result: unknown) => void;
}

export interface QmpWaitOptions {
  /** Default: the client's call timeout; 0 waits forever. */
  timeoutMs?: number;
  /**
   * Also match buffered events with a sequence number greater than this (take it from `eventSeq`
   * before sending the command that causes the event). Omitted: only events arriving after the call.
   */
  since?: number;
}

export type QmpSettled = { ok: true; value: unknown } | { ok: false; error: Error };

export interface QmpCloseInfo {
  /** True when the client closed the stream itself, or the peer closed it after `quit`. */
  expected: boolean;
  error: QmpConnectionError;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Waiter {
  name: string;
  predicate: ((e: QmpEventRecord) => boolean) | undefined;
  resolve: (e: QmpEventRecord) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_HANDSHAKE_MS = 10_000;
const DEFAULT_CALL_MS = 30_000;
const DEFAULT_EVENT_BUFFER = 256;
/** query-qmp-schema is a few hundred KiB; anything far beyond this is not QMP. */
const MAX_LINE_CHARS = 64 * 1024 * 1024;
const GARBAGE_SHOWN_CHARS = 120;

/** `text` cut to a readable length for an error message, JSON-quoted so control characters show. */
export function truncateForMessage(text: string, max = GARBAGE_SHOWN_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  const more = text.length > max ? ` (${text.length} chars)` : '';
  return `${JSON.stringify(cut)}${more}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class QmpClient {
  /** The greeting QEMU sent (version and capabilities). */
  greeting!: QmpGreeting;

  private readonly emitter = new EventEmitter();
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Set<Waiter>();
  private readonly events: QmpEventRecord[] = [];
  private seq = 0;
  private closedError: QmpConnectionError | undefined;
  private closeExpected = false;
  private quitSent = false;
  private greetingWaiter: { resolve: (g: QmpGreeting) => void; reject: (e: Error) => void } | undefined;
  private readonly streamClosed: Promise<void>;
  private readonly label: string;
  private readonly callTimeoutMs: number;
  private readonly eventBufferSize: number;
  private readonly trace: QmpConnectOptions['trace'];

  private constructor(
    private readonly stream: Duplex,
    opts: QmpConnectOptions,
  ) {
    this.label = opts.label ?? '';
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_MS;
    this.eventBufferSize = Math.max(1, opts.eventBufferSize ?? DEFAULT_EVENT_BUFFER);
    this.trace = opts.trace;
    this.streamClosed = new Promise<void>((resolve) => {
      if (stream.destroyed) resolve();
      stream.once('close', () => resolve());
    });
    stream.on('data', (chunk: Buffer | string) => this.onData(chunk));
    stream.on('end', () => this.onStreamGone('the peer ended the stream'));
    stream.on('close', () => this.onStreamGone('the stream closed'));
    stream.on('error', (err: Error) => this.onStreamGone(err.message));
    if (stream.destroyed) queueMicrotask(() => this.onStreamGone('the stream was already closed'));
  }

  /**
   * Read the greeting, send qmp_capabilities, and resolve once QEMU acknowledged it.
   * On failure the stream is destroyed and the promise rejects with a QmpConnectionError.
   */
  static async connect(stream: Duplex, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(stream, opts);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_HANDSHAKE_MS;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const greeting = new Promise<QmpGreeting>((resolve, reject) => {
        client.greetingWaiter = { resolve, reject };
        if (client.closedError) reject(client.closedError);
      });
      const timeout = new Promise<never>((_, reject) => {
        if (timeoutMs > 0) {
          timer = setTimeout(
            () =>
              reject(
                new QmpTimeoutError(
                  `QMP handshake${client.where()} timed out after ${timeoutMs} ms: no greeting`,
                  'greeting',
                  timeoutMs,
                ),
              ),
            timeoutMs,
          );
        }
      });
      client.greeting = await Promise.race([greeting, timeout]);
      clearTimeout(timer);
      const left = timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - started)) : 0;
      await client.execute('qmp_capabilities', undefined, { timeoutMs: left });
      return client;
    } catch (err) {
      clearTimeout(timer);
      const e =
        err instanceof QmpConnectionError
          ? err
          : new QmpConnectionError(`QMP handshake${client.where()} failed: ${(err as Error).message}`);
      client.fail(e, false);
      throw e;
    } finally {
      client.greetingWaiter = undefined;
    }
  }

  /** QEMU version from the greeting. */
  get version(): { major: number; minor: number; micro: number } {
    return this.greeting.QMP.version.qemu;
  }

  /** Sequence number of the newest event received so far (0 before any). Pass it as `since`. */
  get eventSeq(): number {
    return this.seq;
  }

  /** True once the connection is gone (closed by either side, or failed). */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Buffered recent events with seq > since (all buffered ones by default), oldest first. */
  recentEvents(since = 0): QmpEventRecord[] {
    return this.events.filter((e) => e.seq > since);
  }

  on(name: 'event', fn: (e: QmpEventRecord) => void): this;
  on(name: 'close', fn: (info: QmpCloseInfo) => void): this;
  on(name: 'event' | 'close', fn: (arg: never) => void): this {
    this.emitter.on(name, fn as (...args: unknown[]) => void);
    return this;
  }

  once(name: 'event', fn: (e: QmpEventRecord) => void): this;
  once(name: 'close', fn: (info: QmpCloseInfo) => void): this;
  once(name: 'event' | 'close', fn: (arg: never) => void): this {
    this.emitter.once(name, fn as (...args: unknown[]) => void);
    return this;
  }

  off(name: 'event' | 'close', fn: (arg: never) => void): this {
    this.emitter.off(name, fn as (...args: unknown[]) => void);
    return this;
  }

  /** Run one command; resolves its `return` value, rejects QmpError / QmpConnectionError / QmpTimeoutError. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: QmpCallOptions = {}): Promise<T> {
    return this.send(command, args, opts.timeoutMs) as Promise<T>;
  }

  /**
   * Pipeline: send every command at once, then wait for all replies (one round trip).
   * Resolves the results in command order; rejects with the first failure in command order
   * (after every reply arrived, so nothing is left dangling). Each command gets its own timeout.
   */
  async executeAll<T extends unknown[] = unknown[]>(
    commands: readonly QmpCommand[],
    opts: QmpCallOptions = {},
  ): Promise<T> {
    const settled = await this.executeAllSettled(commands, opts);
    const results: unknown[] = [];
    for (const s of settled) {
      if (!s.ok) throw s.error;
      results.push(s.value);
    }
    return results as T;
  }

  /** Pipeline like executeAll, but report every command's outcome instead of rejecting. */
  async executeAllSettled(commands: readonly QmpCommand[], opts: QmpCallOptions = {}): Promise<QmpSettled[]> {
    const sent = commands.map((c) => this.send(c.execute, c.arguments, opts.timeoutMs));
    const settled = await Promise.allSettled(sent);
    return settled.map((s) =>
      s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason as Error },
    );
  }

  /** Run commands one after another (each waits for the previous reply); stops at and rejects with the first error. */
  async executeSequence(commands: readonly QmpCommand[], opts: QmpSequenceOptions = {}): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const [i, c] of commands.entries()) {
      const r = await this.send(c.execute, c.arguments, opts.timeoutMs);
      results.push(r);
      opts.onResult?.(i, c, r);
    }
    return results;
  }

  /**
   * Resolve with the first event called `name` (and accepted by `predicate`). With `since`, buffered
   * events newer than that sequence number count too, so an event that raced ahead of this call is
   * not missed: `const mark = qmp.eventSeq; await qmp.execute('cont'); await qmp.waitForEvent('RESUME', undefined, {
   * since: mark })`.
   */
  waitForEvent(
    name: string,
    predicate?: (e: QmpEventRecord) => boolean,
    opts: QmpWaitOptions = {},
  ): Promise<QmpEventRecord> {
    if (this.closedError) {
      return Promise.reject(new QmpConnectionError(`${this.closedError.message}; was waiting for event ${name}`));
    }
    if (opts.since !== undefined) {
      const since = opts.since;
      const hit = this.events.find((e) => e.seq > since && e.event === name && (!predicate || predicate(e)));
      if (hit) return Promise.resolve(hit);
    }
    const timeoutMs = opts.timeoutMs ?? this.callTimeoutMs;
    return new Promise<QmpEventRecord>((resolve, reject) => {
      const waiter: Waiter = { name, predicate, resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new QmpTimeoutError(
              `QMP event ${name}${this.where()} did not arrive within ${timeoutMs} ms`,
              name,
              timeoutMs,
            ),
          );
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /**
   * End the stream. Pending calls and waiters are rejected. Resolves once the stream closed (or after 2 s, destroyed).
   */
  async close(): Promise<void> {
    if (!this.closedError) {
      this.fail(new QmpConnectionError(`QMP connection closed by the client${this.where()}`), true);
    }
    if (!this.stream.destroyed) {
      this.stream.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.streamClosed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2000);
        }),
      ]);
      clearTimeout(timer);
      if (!this.stream.destroyed) this.stream.destroy();
    }
  }

  // ---- internals ----

  private where(): string {
    return this.label ? ` [${this.label}]` : '';
  }

  private send(
    command: string,
    args: Record<string, unknown> | undefined,
    timeoutMs: number | undefined,
  ): Promise<unknown> {
    if (this.closedError) {
      return Promise.reject(new QmpConnectionError(`${this.closedError.message}; cannot send ${command}`));
    }
    const id = this.nextId++;
    const msg: Record<string, unknown> = { execute: command };
    if (args !== undefined) msg.arguments = args;
    msg.id = id;
    const line = JSON.stringify(msg);
    const ms = timeoutMs ?? this.callTimeoutMs;
    const p = new Promise<unknown>((resolve, reject) => {
      const entry: Pending = { command, resolve, reject, timer: undefined };
      if (ms > 0) {
        entry.timer = setTimeout(() => {
          // A reply that still arrives for this id later is dropped: the id is no longer pending.
          this.pending.delete(id);
          reject(new QmpTimeoutError(`QMP command ${command}${this.where()} timed out after ${ms} ms`, command, ms));
        }, ms);
      }
      this.pending.set(id, entry);
    });
    if (command === 'quit') this.quitSent = true;
    this.trace?.('send', line);
    this.stream.write(`${line}\n`);
    return p;
  }

  private onData(chunk: Buffer | string): void {
    if (this.closedError) return;
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while (!this.closedError && (nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() !== '') this.onLine(line);
    }
    if (!this.closedError && this.buffer.length > MAX_LINE_CHARS) {
      this.fail(
        new QmpConnectionError(
          `QMP peer${this.where()} sent ${this.buffer.length} chars without a line end: ` +
            `${truncateForMessage(this.buffer)}`,
        ),
        false,
      );
    }
  }

  private garbage(line: string, why: string): void {
    this.fail(new QmpConnectionError(`QMP peer${this.where()} sent ${why}: ${truncateForMessage(line)}`), false);
  }

  private onLine(line: string): void {
    this.trace?.('recv', line);
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.garbage(line, 'a line that is not JSON');
      return;
    }
    if (!isPlainObject(msg)) {
      this.garbage(line, 'JSON that is not a QMP message');
      return;
    }
    if (this.greetingWaiter) {
      const qmp = msg.QMP;
      if (!isPlainObject(qmp) || !isPlainObject(qmp.version)) {
        this.garbage(line, 'something other than a QMP greeting');
        return;
      }
      const w = this.greetingWaiter;
      this.greetingWaiter = undefined;
      w.resolve(msg as unknown as QmpGreeting);
      return;
    }
    if (typeof msg.event === 'string') {
      this.onEvent(msg);
      return;
    }
    if ('return' in msg || isPlainObject(msg.error)) {
      if (typeof msg.id !== 'number') return; // not ours (we always send numeric ids)
      const entry = this.pending.get(msg.id);
      if (!entry) return; // late reply for a timed-out call
      this.pending.delete(msg.id);
      clearTimeout(entry.timer);
      if (isPlainObject(msg.error)) {
        const cls = typeof msg.error.class === 'string' ? msg.error.class : 'GenericError';
        const desc = typeof msg.error.desc === 'string' ? msg.error.desc : JSON.stringify(msg.error);
        entry.reject(new QmpError(entry.command, cls, desc));
      } else {
        entry.resolve(msg.return);
      }
      return;
    }
    if ('QMP' in msg) return; // a second greeting would be odd but harmless
    this.garbage(line, 'JSON that is not a QMP reply or event');
  }

  private onEvent(msg: Record<string, unknown>): void {
    const rec: QmpEventRecord = { seq: ++this.seq, event: msg.event as string };
    if (isPlainObject(msg.data)) rec.data = msg.data;
    if (isPlainObject(msg.timestamp)) rec.timestamp = msg.timestamp as QmpEventRecord['timestamp'];
    this.events.push(rec);
    if (this.events.length > this.eventBufferSize) this.events.splice(0, this.events.length - this.eventBufferSize);
    for (const w of [...this.waiters]) {
      let match = false;
      try {
        match = w.name === rec.event && (!w.predicate || w.predicate(rec));
      } catch (err) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.reject(err as Error);
        continue;
      }
      if (match) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(rec);
      }
    }
    this.emitSafely('event', rec);
  }

  /** A throwing listener must not break line parsing: rethrow it outside this call stack. */
  private emitSafely(name: 'event' | 'close', arg: unknown): void {
    for (const fn of this.emitter.listeners(name)) {
      try {
        (fn as (a: unknown) => void)(arg);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private onStreamGone(reason: string): void {
    if (this.closedError) return;
    const expected = this.quitSent;
    this.fail(
      new QmpConnectionError(`QMP connection closed${this.where()}: ${reason}${expected ? ' (after quit)' : ''}`),
      expected,
    );
    if (expected && !this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  /** Tear down: reject every pending call and waiter, destroy the stream unless the close is graceful. */
  private fail(error: QmpConnectionError, expected: boolean): void {
    if (this.closedError) return;
    this.closedError = error;
    this.closeExpected = expected;
    if (this.greetingWaiter) {
      this.greetingWaiter.reject(error);
      this.greetingWaiter = undefined;
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      // QEMU may close the socket right after (or instead of) answering quit: that close is the answer.
      if (p.command === 'quit' && this.quitSent) p.resolve({});
      else p.reject(new QmpConnectionError(`${error.message}; ${p.command} got no reply`));
    }
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new QmpConnectionError(`${error.message}; was waiting for event ${w.name}`));
    }
    this.waiters.clear();
    this.emitSafely('close', { expected: this.closeExpected, error } satisfies QmpCloseInfo);
    // Anything still arriving is ignored; keep an error listener so a late socket error cannot crash the process.
    if (!expected) this.stream.destroy();
  }
}
