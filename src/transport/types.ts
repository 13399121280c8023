/**
 * The transport interface: everything the engine does on a host goes through it.
 * Implementations: ssh (ssh2, one connection per host) and local (this machine, no SSH).
 * Every call takes an argv (never a shell string) and has a timeout.
 */
import type { Duplex } from 'node:stream';

export interface RunOptions {
  /** Milliseconds before the call is abandoned with a TransportError (default 30000). */
  timeoutMs?: number;
  /** Bytes written to the program's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Extra environment, passed as `env K=V ... argv` (values quoted). */
  env?: Record<string, string>;
}

export interface RunResult {
  code: number | null; // null when killed by a signal
  signal?: string;
  stdout: string;
  stderr: string;
}

/** A program started by Transport.hold that runs until released (its stdin closed) or its connection ends. */
export interface HeldProgram {
  /** Resolves when the program has ended: released, exited on its own, or its connection dropped. */
  readonly ended: Promise<void>;
  /** Whether it has ended. */
  readonly isEnded: boolean;
  /** Close its stdin and wait (bounded) until it has ended. Idempotent. */
  release(): Promise<void>;
}

/** What Transport.hold found: the program announced `readyLine` and runs on, or it exited first. */
export type HoldOutcome = { held: HeldProgram } | { held: null; result: RunResult };

export interface Transport {
  /** Name of the host (spec key), for messages. */
  readonly host: string;
  /** Run a program. argv[0] is the program; nothing is interpreted by a shell. */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Like run, but a non-zero exit becomes a CommandError carrying stderr. */
  check(argv: string[], opts?: RunOptions): Promise<string>;
  readFile(path: string, opts?: { timeoutMs?: number }): Promise<Buffer>;
  /** Writes atomically (temp file + rename) with the given mode (default 0o600). */
  writeFile(path: string, data: string | Buffer, opts?: { mode?: number; timeoutMs?: number }): Promise<void>;
  /** Open a byte stream to a unix socket on the host (ssh: OpenSSH streamlocal forwarding). */
  openUnixSocket(path: string, opts?: { timeoutMs?: number }): Promise<Duplex>;
  /**
   * Start a long-running program and keep its stdin open: resolves `held` once a line of its stdout
   * equals `readyLine` (it then runs until release() or the end of the connection: a crash of colo
   * ends it too), or the program's result when it exited first. The timeout covers the start only.
   */
  hold(argv: string[], opts: { readyLine: string; timeoutMs?: number }): Promise<HoldOutcome>;
  /** Close connections; idempotent. */
  close(): Promise<void>;
}

export class TransportError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly causeCode?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** A program exited non-zero through Transport.check. */
export class CommandError extends Error {
  constructor(
    readonly host: string,
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    super(
      `${host}: ${argv[0]} exited ${result.code ?? result.signal}: ` +
        `${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    this.name = 'CommandError';
  }
}

/** Host key refused (unknown, changed, or known_hosts unreadable). */
export class HostKeyError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly fingerprint?: string,
  ) {
    super(message);
    this.name = 'HostKeyError';
  }
}

/** Transport.check for any transport: `run`, and a non-zero exit becomes a CommandError carrying stderr. */
export async function checkedRun(
  t: Pick<Transport, 'host' | 'run'>,
  argv: string[],
  opts?: RunOptions,
): Promise<string> {
  const r = await t.run(argv, opts);
  if (r.code !== 0) throw new CommandError(t.host, argv, r);
  return r.stdout;
}
