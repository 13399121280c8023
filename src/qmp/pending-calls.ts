/** The QMP commands sent and not answered yet, matched to their replies by `id`, never by order. */
import { QmpConnectionError, QmpError, QmpTimeoutError } from './types.ts';

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class PendingCalls {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** A fresh request id. */
  newId(): number {
    return this.nextId++;
  }

  /** The reply to `id`; after `ms` (0: never) rejects with a QmpTimeoutError whose message names `where`. */
  expect(id: number, command: string, ms: number, where: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const entry: Pending = { command, resolve, reject, timer: undefined };
      if (ms > 0) {
        entry.timer = setTimeout(() => {
          // A reply that still arrives for this id later is dropped: the id is no longer pending.
          this.pending.delete(id);
          reject(new QmpTimeoutError(`QMP command ${command}${where} timed out after ${ms} ms`, command, ms));
        }, ms);
      }
      this.pending.set(id, entry);
    });
  }

  /** Settles the call a reply answers (`error` set: QMP's error object); unknown or late ids are ignored. */
  settle(id: unknown, result: unknown, error: Record<string, unknown> | undefined): void {
    if (typeof id !== 'number') return; // not ours (we always send numeric ids)
    const entry = this.pending.get(id);
    if (!entry) return; // late reply for a timed-out call
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (error) {
      const cls = typeof error.class === 'string' ? error.class : 'GenericError';
      const desc = typeof error.desc === 'string' ? error.desc : JSON.stringify(error);
      entry.reject(new QmpError(entry.command, cls, desc));
    } else {
      entry.resolve(result);
    }
  }

  /** The connection is gone: every call fails, except a `quit` colo sent, which that close answers. */
  rejectAll(error: QmpConnectionError, quitSent: boolean): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      // QEMU may close the socket right after (or instead of) answering quit: that close is the answer.
      if (p.command === 'quit' && quitSent) p.resolve({});
      else p.reject(new QmpConnectionError(`${error.message}; ${p.command} got no reply`));
    }
  }
}
