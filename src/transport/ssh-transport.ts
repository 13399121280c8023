/**
 * Transport over SSH with ssh2: one connection per host for the whole run (ssh-connection.ts).
 *
 * - Commands: an exec channel whose command line is the argv quoted for a POSIX login shell
 *   (ssh-exec.ts, with deadlines and a kill that works).
 * - Files: exec of fixed programs with quoted arguments (ssh-files.ts); no sftp subsystem is needed.
 * - Unix sockets (QMP): OpenSSH streamlocal forwarding (ssh-streamlocal.ts).
 * - Held programs (the host lock): an exec channel whose stdin stays open until released (ssh-hold.ts).
 * - Concurrency: at most `maxSessions` (default 8) exec channels at a time, below OpenSSH's MaxSessions
 *   (10). Streamlocal channels are not sessions in OpenSSH and are not counted.
 * - Host keys: verified by host-key-policy.ts (pinned key, else known_hosts); ssh2 alone would accept any.
 */
import type { Duplex } from 'node:stream';
import { quoteArgv, withEnv } from '../render/shell-quote.ts';
import { shortCommand, withDeadline } from './deadline.ts';
import { Semaphore } from './semaphore.ts';
import { SshConnection } from './ssh-connection.ts';
import { timeoutError } from './ssh-errors.ts';
import { execRaw, type RawResult } from './ssh-exec.ts';
import { readRemoteFile, writeRemoteFile } from './ssh-files.ts';
import { holdOnChannel } from './ssh-hold.ts';
import { openStreamLocal } from './ssh-streamlocal.ts';
import type { SshOptions, SshTarget } from './ssh-target.ts';
import { checkedRun, type HoldOutcome, type RunOptions, type RunResult, type Transport } from './types.ts';

/** The target and options types live in ssh-target.ts; re-exported for the callers that name the transport. */
export type { SshOptions, SshTarget } from './ssh-target.ts';

export class SshTransport implements Transport {
  readonly host: string;
  private readonly conn: SshConnection;
  private readonly sessions: Semaphore;
  private readonly timeoutMs: number;

  constructor(
    readonly target: SshTarget,
    opts: SshOptions = {},
  ) {
    this.host = target.name;
    this.conn = new SshConnection(target, opts);
    this.sessions = new Semaphore(opts.maxSessions ?? 8);
    this.timeoutMs = opts.defaultTimeoutMs ?? 30000;
  }

  /** How many SSH connections this transport has opened so far (1 unless one dropped). */
  get connectionCount(): number {
    return this.conn.count;
  }

  /** Exec channels in use right now. */
  get sessionsInUse(): number {
    return this.sessions.inUse;
  }

  private readonly runRaw = (
    argv: readonly string[],
    stdin: string | Buffer | undefined,
    timeoutMs: number | undefined,
  ): Promise<RawResult> => {
    const ms = timeoutMs ?? this.timeoutMs;
    const what = `running ${shortCommand(quoteArgv(argv))}`;
    return withDeadline(ms, timeoutError(this.host, what, ms), async (signal) =>
      execRaw(this.host, await this.conn.get(), this.sessions, argv, stdin, signal),
    );
  };

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.runRaw(withEnv(argv, opts.env), opts.stdin, opts.timeoutMs);
    return {
      code: r.code,
      ...(r.signal !== undefined ? { signal: r.signal } : {}),
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
    };
  }

  check(argv: string[], opts: RunOptions = {}): Promise<string> {
    return checkedRun(this, argv, opts);
  }

  readFile(path: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    return readRemoteFile(this.host, this.runRaw, path, opts.timeoutMs);
  }

  writeFile(path: string, data: string | Buffer, opts: { mode?: number; timeoutMs?: number } = {}): Promise<void> {
    return writeRemoteFile(this.host, this.runRaw, path, data, opts);
  }

  openUnixSocket(path: string, opts: { timeoutMs?: number } = {}): Promise<Duplex> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    return withDeadline(ms, timeoutError(this.host, `opening unix socket ${path}`, ms), async (signal) =>
      openStreamLocal(this.host, await this.conn.get(), path, signal),
    );
  }

  hold(argv: string[], opts: { readyLine: string; timeoutMs?: number }): Promise<HoldOutcome> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    const what = `starting ${shortCommand(quoteArgv(argv))}`;
    return withDeadline(ms, timeoutError(this.host, what, ms), async (signal) =>
      holdOnChannel(this.host, await this.conn.get(), this.sessions, argv, opts.readyLine, signal),
    );
  }

  /** Drop the current connection without closing the transport (tests; the next call reconnects). */
  dropConnection(): void {
    this.conn.drop();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Synchronous teardown for process 'exit'. */
  destroy(): void {
    this.conn.destroy();
  }
}
