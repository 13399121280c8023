/**
 * Transport for a host declared `local: true`: this machine, no SSH. Programs are spawned without a
 * shell, files are written atomically (src/atomic-write.ts), unix sockets are opened with net.connect.
 * Results mirror the ssh transport: a missing program gives exit code 127 (126 when not executable),
 * as a remote shell would report it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { shortCommand, withDeadline } from './deadline.ts';
import { quoteArgv } from '../render/shell-quote.ts';
import { holdLocal } from './local-hold.ts';
import {
  checkedRun,
  TransportError,
  type HoldOutcome,
  type RunOptions,
  type RunResult,
  type Transport,
} from './types.ts';

export interface LocalTransportOptions {
  defaultTimeoutMs?: number;
  /**
   * Run every program as the leader of its own process group; on a deadline the whole group gets
   * SIGTERM, then SIGKILL after `killGraceMs`, and its pipes are closed at once (a grandchild such
   * as `helper &` neither outlives the deadline nor keeps colo waiting). For fence commands.
   */
  processGroup?: boolean;
  killGraceMs?: number;
}

export class LocalTransport implements Transport {
  private readonly timeoutMs: number;

  constructor(
    readonly host: string,
    private readonly opts: LocalTransportOptions = {},
  ) {
    this.timeoutMs = opts.defaultTimeoutMs ?? 30000;
  }

  /** On a deadline: the child alone (SIGKILL), or its whole process group (SIGTERM, then SIGKILL). */
  private kill(child: ChildProcess): void {
    if (!this.opts.processGroup || child.pid === undefined) {
      child.kill('SIGKILL');
      return;
    }
    const pgid = child.pid;
    signalGroup(pgid, 'SIGTERM');
    setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.opts.killGraceMs ?? 1000);
  }

  private timeoutError(what: string, ms: number): () => TransportError {
    return () => new TransportError(this.host, `${this.host}: timed out after ${ms} ms ${what}`, 'ETIMEDOUT');
  }

  private fsError(what: string, path: string, e: unknown): TransportError {
    const code = (e as NodeJS.ErrnoException).code;
    return new TransportError(this.host, `${this.host}: cannot ${what} ${path}: ${(e as Error).message}`, code);
  }

  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const [prog, ...args] = argv;
    if (prog === undefined) return Promise.reject(new Error('empty argv'));
    const ms = opts.timeoutMs ?? this.timeoutMs;
    const what = `running ${shortCommand(quoteArgv(argv))}`;
    return withDeadline(
      ms,
      this.timeoutError(what, ms),
      (signal) =>
        new Promise<RunResult>((resolve) => {
          const child = spawn(prog, args, {
            env: opts.env ? { ...process.env, ...opts.env } : process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
            detached: this.opts.processGroup === true, // setsid: its own process group
          });
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          let done = false;
          let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
          const finish = (r: RunResult): void => {
            if (done) return;
            done = true;
            signal.removeEventListener('abort', onAbort);
            resolve(r);
          };
          const result = (): RunResult => ({
            code: exited?.code ?? null,
            ...(exited?.signal ? { signal: exited.signal } : {}),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          });
          const onAbort = (): void => {
            this.kill(child);
            child.stdout.destroy();
            child.stderr.destroy();
            child.stdin.destroy();
          };
          signal.addEventListener('abort', onAbort, { once: true });
          child.stdout.on('data', (d: Buffer) => out.push(d));
          child.stderr.on('data', (d: Buffer) => err.push(d));
          child.on('error', (e: NodeJS.ErrnoException) => {
            // spawn failed: report like a shell would
            if (e.code === 'ENOENT') finish({ code: 127, stdout: '', stderr: `${prog}: not found\n` });
            else if (e.code === 'EACCES') finish({ code: 126, stdout: '', stderr: `${prog}: permission denied\n` });
            else finish({ code: 126, stdout: '', stderr: `${prog}: ${e.message}\n` });
          });
          child.on('exit', (code, sig) => {
            exited = { code, signal: sig };
            // A daemon that inherited our pipes would keep 'close' from firing: do not wait for it long.
            setTimeout(() => {
              child.stdout.destroy();
              child.stderr.destroy();
              finish(result());
            }, 500).unref();
          });
          child.on('close', () => finish(result()));
          child.stdin.on('error', () => {}); // EPIPE when the program does not read stdin
          child.stdin.end(opts.stdin);
        }),
    );
  }

  check(argv: string[], opts: RunOptions = {}): Promise<string> {
    return checkedRun(this, argv, opts);
  }

  async readFile(path: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    return withDeadline(ms, this.timeoutError(`reading ${path}`, ms), async (signal) => {
      try {
        return await fsp.readFile(path, { signal });
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        throw this.fsError('read', path, e);
      }
    });
  }

  async writeFile(
    path: string,
    data: string | Buffer,
    opts: { mode?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    const mode = opts.mode ?? 0o600;
    await withDeadline(ms, this.timeoutError(`writing ${path}`, ms), async () => {
      try {
        await writeFileAtomic(path, data, { mode });
      } catch (e) {
        throw this.fsError('write', path, e);
      }
    });
  }

  openUnixSocket(path: string, opts: { timeoutMs?: number } = {}): Promise<Duplex> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    return withDeadline(
      ms,
      this.timeoutError(`opening unix socket ${path}`, ms),
      (signal) =>
        new Promise<Duplex>((resolve, reject) => {
          const sock = createConnection(path);
          const onAbort = (): void => {
            sock.destroy();
          };
          signal.addEventListener('abort', onAbort, { once: true });
          sock.once('connect', () => {
            signal.removeEventListener('abort', onAbort);
            sock.removeAllListeners('error');
            resolve(sock);
          });
          sock.once('error', (e: NodeJS.ErrnoException) => {
            signal.removeEventListener('abort', onAbort);
            reject(
              new TransportError(this.host, `${this.host}: cannot open unix socket ${path}: ${e.message}`, e.code),
            );
          });
        }),
    );
  }

  hold(argv: string[], opts: { readyLine: string; timeoutMs?: number }): Promise<HoldOutcome> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    const what = `starting ${shortCommand(quoteArgv(argv))}`;
    return withDeadline(ms, this.timeoutError(what, ms), (signal) => holdLocal(argv, opts.readyLine, signal));
  }

  async close(): Promise<void> {}
}

/** Signals every process of a group; one already gone is not an error. */
function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is gone
  }
}
