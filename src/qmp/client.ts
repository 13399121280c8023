/**
 * QMP client over any node Duplex (a unix socket, an ssh2 streamlocal channel). One JSON object per
 * line (line-framing.ts); replies matched by `id`, never by order (pending-calls.ts), so out-of-band
 * replies may overtake; events numbered in a ring buffer (event-buffer.ts) so a caller can wait for
 * one that already arrived (`waitForEvent(..., { since })`).
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type {
  QmpCallOptions,
  QmpCloseInfo,
  QmpConnectOptions,
  QmpSequenceOptions,
  QmpSettled,
  QmpWaitOptions,
} from './client-options.ts';
import { capabilitiesToEnable } from './capabilities.ts';
import { EventBuffer } from './event-buffer.ts';
import { LineReader, MAX_LINE_CHARS, truncateForMessage } from './line-framing.ts';
import { parseQmpLine } from './messages.ts';
import { PendingCalls } from './pending-calls.ts';
import { inSequence, pipelineSettled, resultsOrFirstError, type Send } from './pipelines.ts';
import { emitSafely } from './safe-emit.ts';
import { endStream } from './stream-close.ts';
import { withTimeout } from './timeout.ts';
import { QmpConnectionError, QmpTimeoutError } from './types.ts';
import type { QmpCommand, QmpEventRecord, QmpGreeting } from './types.ts';

export type * from './client-options.ts';
export { truncateForMessage } from './line-framing.ts';

const DEFAULT_HANDSHAKE_MS = 10_000;
const DEFAULT_CALL_MS = 30_000;
const DEFAULT_EVENT_BUFFER = 256;

export class QmpClient {
  /** The greeting QEMU sent (version and capabilities). */
  greeting!: QmpGreeting;

  private readonly emitter = new EventEmitter();
  private readonly lines = new LineReader();
  private readonly pending = new PendingCalls();
  private readonly events: EventBuffer;
  private closedError: QmpConnectionError | undefined;
  private quitSent = false;
  private greetingWaiter: { resolve: (g: QmpGreeting) => void; reject: (e: Error) => void } | undefined;
  private readonly streamClosed: Promise<void>;
  private readonly label: string;
  private readonly callTimeoutMs: number;
  private readonly trace: QmpConnectOptions['trace'];
  private oobNegotiated = false;

  private constructor(
    private readonly stream: Duplex,
    opts: QmpConnectOptions,
  ) {
    this.label = opts.label ?? '';
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_MS;
    this.events = new EventBuffer(Math.max(1, opts.eventBufferSize ?? DEFAULT_EVENT_BUFFER));
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
    try {
      const noGreeting = () =>
        new QmpTimeoutError(
          `QMP handshake${client.where()} timed out after ${timeoutMs} ms: no greeting`,
          'greeting',
          timeoutMs,
        );
      client.greeting = await withTimeout(client.nextGreeting(), timeoutMs, noGreeting);
      const left = timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - started)) : 0;
      const enable = capabilitiesToEnable(client.greeting, opts.oob === true);
      await client.execute('qmp_capabilities', enable.length > 0 ? { enable } : undefined, { timeoutMs: left });
      client.oobNegotiated = enable.includes('oob');
      return client;
    } catch (err) {
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

  /** The greeting, once it arrives (the next line must be it). */
  private nextGreeting = (): Promise<QmpGreeting> =>
    new Promise<QmpGreeting>((resolve, reject) => {
      this.greetingWaiter = { resolve, reject };
      if (this.closedError) reject(this.closedError);
    });

  /** QEMU version from the greeting. */
  get version(): { major: number; minor: number; micro: number } {
    return this.greeting.QMP.version.qemu;
  }

  /** True when this connection negotiated out-of-band execution (QmpConnectOptions.oob and QEMU offered it). */
  get oob(): boolean {
    return this.oobNegotiated;
  }

  /** Sequence number of the newest event received so far (0 before any). Pass it as `since`. */
  get eventSeq(): number {
    return this.events.lastSeq;
  }

  /** True once the connection is gone (closed by either side, or failed). */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Buffered recent events with seq > since (all buffered ones by default), oldest first. */
  recentEvents(since = 0): QmpEventRecord[] {
    return this.events.recent(since);
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
    return this.send(command, args, opts.timeoutMs, opts.oob) as Promise<T>;
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
    return resultsOrFirstError(await this.executeAllSettled(commands, opts)) as T;
  }

  /** Pipeline like executeAll, but report every command's outcome instead of rejecting. */
  executeAllSettled(commands: readonly QmpCommand[], opts: QmpCallOptions = {}): Promise<QmpSettled[]> {
    return pipelineSettled(this.send, commands, opts.timeoutMs);
  }

  /** Run commands one after another (each waits for the previous reply); stops at and rejects with the first error. */
  executeSequence(commands: readonly QmpCommand[], opts: QmpSequenceOptions = {}): Promise<unknown[]> {
    return inSequence(this.send, commands, opts);
  }

  /**
   * Resolve with the first event called `name` (and accepted by `predicate`). With `since`, buffered
   * events newer than that sequence number count too, so an event that raced ahead is not missed:
   * `const since = qmp.eventSeq; await qmp.execute('cont'); await qmp.waitForEvent('RESUME', undefined, { since })`.
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
      const hit = this.events.find(name, predicate, opts.since);
      if (hit) return Promise.resolve(hit);
    }
    return this.events.wait(name, predicate, opts.timeoutMs ?? this.callTimeoutMs, this.where());
  }

  /**
   * End the stream. Pending calls and waiters are rejected. Resolves once the stream closed (or after 2 s, destroyed).
   */
  async close(): Promise<void> {
    if (!this.closedError) {
      this.fail(new QmpConnectionError(`QMP connection closed by the client${this.where()}`), true);
    }
    await endStream(this.stream, this.streamClosed);
  }

  private where(): string {
    return this.label ? ` [${this.label}]` : '';
  }

  private readonly send: Send = (command, args, timeoutMs, oob) => {
    if (this.closedError) {
      return Promise.reject(new QmpConnectionError(`${this.closedError.message}; cannot send ${command}`));
    }
    if (oob && !this.oobNegotiated) {
      return Promise.reject(
        new QmpConnectionError(`cannot send ${command} out-of-band${this.where()}: this connection has no OOB`),
      );
    }
    const id = this.pending.newId();
    const msg: Record<string, unknown> = oob ? { 'exec-oob': command } : { execute: command };
    if (args !== undefined) msg.arguments = args;
    msg.id = id;
    const line = JSON.stringify(msg);
    const p = this.pending.expect(id, command, timeoutMs ?? this.callTimeoutMs, this.where());
    if (command === 'quit') this.quitSent = true;
    this.trace?.('send', line);
    this.stream.write(`${line}\n`);
    return p;
  };

  private onData(chunk: Buffer | string): void {
    if (this.closedError) return;
    this.lines.push(chunk);
    let line: string | undefined;
    while (!this.closedError && (line = this.lines.next()) !== undefined) this.onLine(line);
    const rest = this.lines.unterminated;
    if (!this.closedError && rest.length > MAX_LINE_CHARS) {
      this.fail(
        new QmpConnectionError(
          `QMP peer${this.where()} sent ${rest.length} chars without a line end: ${truncateForMessage(rest)}`,
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
    const m = parseQmpLine(line, this.greetingWaiter !== undefined);
    switch (m.kind) {
      case 'garbage':
        return this.garbage(line, m.why);
      case 'greeting': {
        const w = this.greetingWaiter!;
        this.greetingWaiter = undefined;
        return w.resolve(m.greeting);
      }
      case 'event':
        return emitSafely(this.emitter, 'event', this.events.add(m.msg));
      case 'reply':
        return this.pending.settle(m.id, m.result, m.error);
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
    if (this.greetingWaiter) {
      this.greetingWaiter.reject(error);
      this.greetingWaiter = undefined;
    }
    this.pending.rejectAll(error, this.quitSent);
    this.events.rejectAll(error);
    emitSafely(this.emitter, 'close', { expected, error } satisfies QmpCloseInfo);
    // Anything still arriving is ignored; keep an error listener so a late socket error cannot crash the process.
    if (!expected) this.stream.destroy();
  }
}
