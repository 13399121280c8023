/** Exit and signal handlers that release a held state lock when the process ends without releasing it. */
import type { StateLock } from './lock-acquire.ts';

const DEFAULT_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Releases `lock` when the process exits, including on SIGINT/SIGTERM/SIGHUP (after releasing,
 * the signal is raised again so the process still dies of it, unless other listeners handle it).
 * Returns a function that removes the handlers (call it after a normal release).
 */
export function releaseOnExit(lock: StateLock, signals: readonly NodeJS.Signals[] = DEFAULT_SIGNALS): () => void {
  const onExit = () => {
    try {
      lock.releaseSync();
    } catch {
      // exiting anyway; nothing sensible to do
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    dispose();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const dispose = () => {
    process.removeListener('exit', onExit);
    for (const s of signals) process.removeListener(s, onSignal);
  };
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);
  return dispose;
}
