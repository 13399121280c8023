/**
 * Running an argv on an SSH exec channel, with a deadline and a kill that works.
 *
 * The command line is `exec sh -c RUN_WRAPPER sh ARGV...`: the wrapper reports its pid on stderr (a
 * marker line removed from the result) and execs the argv. On timeout colo kills that pid (its
 * process group when it leads one, as it does when sshd started the session with setsid) over a
 * fresh channel: OpenSSH ignores `signal` channel requests for root logins (they need post-auth
 * privilege separation, which root skips), and closing a channel alone does not stop a program
 * that never writes.
 */
import type { Client as ClientT, ClientChannel } from 'ssh2';
import { KILL_SCRIPT, PID_MARKER, RUN_WRAPPER } from '../render/scripts/transport-scripts.ts';
import { quoteArgv } from '../render/shell-quote.ts';
import { shortCommand } from './deadline.ts';
import type { Semaphore } from './semaphore.ts';
import { TransportError } from './types.ts';

export interface RawResult {
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** Run an argv on an exec channel of `client`, holding a `sessions` slot until the channel closes. */
export async function execRaw(
  host: string,
  client: ClientT,
  sessions: Semaphore,
  argv: readonly string[],
  stdin: string | Buffer | undefined,
  signal: AbortSignal,
): Promise<RawResult> {
  const cmd = quoteArgv(['exec', 'sh', '-c', RUN_WRAPPER, 'sh', ...argv]);
  const shown = shortCommand(quoteArgv(argv));
  if (signal.aborted) throw signal.reason;
  const release = await sessions.acquire(signal);
  try {
    return await new Promise<RawResult>((resolve, reject) => {
      const channel = { host, client, shown, stdin, signal, resolve, reject };
      let attempt = 0;
      const onOpen = (err: Error | undefined, ch: ClientChannel): void => {
        if (!err) return collect(channel, ch);
        // sshd refuses a channel while its count of sessions (MaxSessions) still includes ones
        // colo already closed: a race, not a verdict. Retry a few times with backoff.
        if (/open failed|administratively prohibited/i.test(err.message) && attempt < 6 && !signal.aborted) {
          const delay = 25 * 2 ** attempt++;
          setTimeout(() => client.exec(cmd, onOpen), delay);
          return;
        }
        reject(new TransportError(host, `${host}: cannot run ${shown}: ${err.message}`, 'ECHANNEL'));
      };
      try {
        client.exec(cmd, onOpen);
      } catch (e) {
        reject(new TransportError(host, `${host}: cannot run ${shown}: ${(e as Error).message}`, 'ECHANNEL'));
      }
    });
  } finally {
    release();
  }
}

interface OpenChannel {
  host: string;
  client: ClientT;
  /** The command, shortened for messages. */
  shown: string;
  stdin: string | Buffer | undefined;
  signal: AbortSignal;
  resolve: (r: RawResult) => void;
  reject: (e: unknown) => void;
}

/** Feeds stdin, collects stdout/stderr (minus the pid marker) and the exit; kills the program on abort. */
function collect(c: OpenChannel, ch: ClientChannel): void {
  const out: Buffer[] = [];
  const errb: Buffer[] = [];
  let head = Buffer.alloc(0); // stderr until the pid marker has been seen
  let pid: number | undefined;
  let killWanted = false;
  let exit: { code: number | null; signal?: string } | undefined;
  const kill = (): void => {
    if (pid !== undefined) killRemote(c.client, pid);
  };
  ch.on('data', (d: Buffer) => out.push(d));
  ch.stderr.on('data', (d: Buffer) => {
    if (pid !== undefined) {
      errb.push(d);
      return;
    }
    head = Buffer.concat([head, d]);
    const m = PID_MARKER.exec(head.toString('latin1'));
    if (m) {
      pid = Number(m[1]);
      errb.push(head.subarray(0, m.index), head.subarray(m.index + m[0].length));
      head = Buffer.alloc(0);
      if (killWanted) kill();
    }
  });
  ch.on('exit', (code: number | null, sig?: string) => {
    exit = { code: code ?? null, ...(sig ? { signal: sig } : {}) };
  });
  ch.on('error', () => {}); // reported through 'close' without exit
  ch.on('close', () => {
    c.signal.removeEventListener('abort', onAbort);
    if (exit) c.resolve({ ...exit, stdout: Buffer.concat(out), stderr: Buffer.concat([...errb, head]) });
    else if (c.signal.aborted) c.reject(c.signal.reason);
    else
      c.reject(
        new TransportError(c.host, `${c.host}: the SSH connection was lost while running ${c.shown}`, 'ECONNRESET'),
      );
  });
  const onAbort = (): void => {
    killWanted = true;
    kill();
    ch.close();
  };
  if (c.signal.aborted) onAbort();
  else c.signal.addEventListener('abort', onAbort, { once: true });
  ch.end(c.stdin);
}

/**
 * SIGKILL a remote pid reported by RUN_WRAPPER, and its process group when it leads one. Uses a
 * channel outside the session semaphore (the cap leaves OpenSSH two spare sessions); best effort.
 */
function killRemote(client: ClientT, pid: number): void {
  try {
    client.exec(quoteArgv(['sh', '-c', KILL_SCRIPT, 'sh', String(pid)]), (err, ch) => {
      if (err) return;
      ch.on('error', () => {});
      ch.resume();
      ch.stderr.resume();
      const t = setTimeout(() => ch.close(), 10000);
      ch.on('close', () => clearTimeout(t));
      ch.end();
    });
  } catch {
    /* connection gone: nothing left to kill through it */
  }
}
