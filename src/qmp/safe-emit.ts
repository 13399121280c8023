/** Event delivery to the client's listeners that a throwing listener cannot break. */
import type { EventEmitter } from 'node:events';

/** Calls every listener of `name`; one that throws has its error rethrown outside this call stack. */
export function emitSafely(emitter: EventEmitter, name: string, arg: unknown): void {
  for (const fn of emitter.listeners(name)) {
    try {
      (fn as (a: unknown) => void)(arg);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
