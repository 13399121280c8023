/**
 * QMP events as the client keeps them: numbered with a client-local sequence number, the newest kept
 * in a small ring buffer, and handed to the callers waiting for them, so a caller can wait for an
 * event that may already have arrived (`waitForEvent(..., { since })`).
 */
import { isPlainObject } from './line-framing.ts';
import { QmpConnectionError, QmpTimeoutError } from './types.ts';
import type { QmpEventRecord } from './types.ts';

interface Waiter {
  name: string;
  predicate: ((e: QmpEventRecord) => boolean) | undefined;
  resolve: (e: QmpEventRecord) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class EventBuffer {
  private readonly events: QmpEventRecord[] = [];
  private readonly waiters = new Set<Waiter>();
  private seq = 0;

  constructor(private readonly size: number) {}

  /** Sequence number of the newest event so far (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Buffered events with seq > since, oldest first. */
  recent(since: number): QmpEventRecord[] {
    return this.events.filter((e) => e.seq > since);
  }

  /** A buffered event newer than `since` called `name` and accepted by `predicate`. */
  find(
    name: string,
    predicate: ((e: QmpEventRecord) => boolean) | undefined,
    since: number,
  ): QmpEventRecord | undefined {
    return this.events.find((e) => e.seq > since && e.event === name && (!predicate || predicate(e)));
  }

  /**
   * Waits for the next event called `name` (and accepted by `predicate`); after `timeoutMs` (0: never)
   * rejects with a QmpTimeoutError whose message names `where`.
   */
  wait(
    name: string,
    predicate: ((e: QmpEventRecord) => boolean) | undefined,
    timeoutMs: number,
    where: string,
  ): Promise<QmpEventRecord> {
    return new Promise<QmpEventRecord>((resolve, reject) => {
      const waiter: Waiter = { name, predicate, resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new QmpTimeoutError(`QMP event ${name}${where} did not arrive within ${timeoutMs} ms`, name, timeoutMs),
          );
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** Numbers and keeps an event message, and resolves the waiters it satisfies. Returns the record. */
  add(msg: Record<string, unknown>): QmpEventRecord {
    const rec: QmpEventRecord = { seq: ++this.seq, event: msg.event as string };
    if (isPlainObject(msg.data)) rec.data = msg.data;
    if (isPlainObject(msg.timestamp)) rec.timestamp = msg.timestamp as QmpEventRecord['timestamp'];
    this.events.push(rec);
    if (this.events.length > this.size) this.events.splice(0, this.events.length - this.size);
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
    return rec;
  }

  /** The connection is gone: every waiter is rejected. */
  rejectAll(error: QmpConnectionError): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new QmpConnectionError(`${error.message}; was waiting for event ${w.name}`));
    }
    this.waiters.clear();
  }
}
