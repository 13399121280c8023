/**
 * A long-running program on an SSH exec channel whose stdin colo keeps open (Transport.hold): it
 * announces itself with a ready line on stdout and then runs until colo closes its stdin or the
 * connection ends (sshd closes the session's pipes when the client goes away, also when colo is
 * killed). The host lock (src/render/scripts/host-lock.ts) is such a program. It keeps one of the
 * connection's session slots for its whole life.
 */
import type { Client as ClientT, ClientChannel } from 'ssh2';
import { quoteArgv } from '../render/shell-quote.ts';
import { shortCommand } from './deadline.ts';
import type { Semaphore } from './semaphore.ts';
import { TransportError, type HeldProgram, type HoldOutcome } from './types.ts';

/** How long release() waits for the program to end after closing its stdin before closing the channel. */
const RELEASE_WAIT_MS = 5000;

export async function holdOnChannel(
  host: string,
  client: ClientT,
  sessions: Semaphore,
  argv: readonly string[],
  readyLine: string,
  signal: AbortSignal,
): Promise<HoldOutcome> {
  const shown = shortCommand(quoteArgv(argv));
  const slot = await sessions.acquire(signal);
  let ch: ClientChannel;
  try {
    ch = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(quoteArgv(argv), (err, channel) =>
        err
          ? reject(new TransportError(host, `${host}: cannot run ${shown}: ${err.message}`, 'ECHANNEL'))
          : resolve(channel),
      );
    });
  } catch (e) {
    slot();
    throw e;
  }
  return watch(host, ch, shown, readyLine, signal, slot);
}

/** Reads stdout until the ready line (held) or the exit (a result); aborting closes the channel. */
function watch(
  host: string,
  ch: ClientChannel,
  shown: string,
  readyLine: string,
  signal: AbortSignal,
  slot: () => void,
): Promise<HoldOutcome> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exit: { code: number | null; signal?: string } | undefined;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  let isEnded = false;
  return new Promise<HoldOutcome>((resolve, reject) => {
    let settled = false;
    const held: HeldProgram = {
      ended,
      get isEnded() {
        return isEnded;
      },
      async release() {
        if (isEnded) return;
        ch.end();
        const t = setTimeout(() => ch.close(), RELEASE_WAIT_MS);
        await ended;
        clearTimeout(t);
      },
    };
    const onAbort = (): void => ch.close();
    signal.addEventListener('abort', onAbort, { once: true });
    ch.on('data', (d: Buffer) => {
      out.push(d);
      if (settled) return;
      const lines = Buffer.concat(out).toString('utf8').split('\n');
      if (lines.slice(0, -1).includes(readyLine)) {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve({ held });
      }
    });
    ch.stderr.on('data', (d: Buffer) => err.push(d));
    ch.on('exit', (code: number | null, sig?: string) => {
      exit = { code: code ?? null, ...(sig ? { signal: sig } : {}) };
    });
    ch.on('error', () => {});
    ch.on('close', () => {
      isEnded = true;
      slot();
      resolveEnded();
      signal.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      if (exit) {
        const stdout = Buffer.concat(out).toString('utf8');
        resolve({ held: null, result: { ...exit, stdout, stderr: Buffer.concat(err).toString('utf8') } });
      } else if (signal.aborted) reject(signal.reason);
      else
        reject(new TransportError(host, `${host}: the SSH connection was lost while running ${shown}`, 'ECONNRESET'));
    });
  });
}
