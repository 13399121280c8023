/**
 * Transport over SSH with ssh2: one connection per host for the whole run, opened lazily on the first
 * call (concurrent first calls share the connect), re-opened by the next call if it drops.
 *
 * - Commands: an exec channel whose command line is the argv quoted for a POSIX login shell (quoteArgv).
 * - Files: exec of fixed programs (`cat`, and `sh -c` with a constant script for atomic writes) with
 *   quoted arguments; no sftp subsystem is needed on the host.
 * - Unix sockets (QMP): OpenSSH streamlocal forwarding (direct-streamlocal@openssh.com).
 * - Concurrency: at most `maxSessions` (default 8) exec channels at a time, below OpenSSH's MaxSessions
 *   (10). Streamlocal channels are not sessions in OpenSSH and are not counted.
 * - Host keys: verified by known-hosts.ts (pinned key, else known_hosts); ssh2 alone would accept any.
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { Client as ClientT, ClientChannel, ConnectConfig } from 'ssh2';
import type { HostSpec } from '../spec/types.ts';
import { parsePidFile, shortCommand, withDeadline } from './deadline.ts';
import {
  defaultKnownHostsFile,
  knownHostsName,
  knownKeyTypes,
  parsePublicKey,
  readKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
} from './known-hosts.ts';
import { Semaphore } from './semaphore.ts';
import { quoteArgv, withEnv } from '../render/shell-quote.ts';
import {
  CommandError,
  HostKeyError,
  TransportError,
  type RunOptions,
  type RunResult,
  type Transport,
} from './types.ts';

/** ssh2 takes ~100 ms to load: only commands that connect to a host load it. */
type Ssh2 = typeof import('ssh2');
let ssh2Module: Ssh2 | undefined;
async function loadSsh2(): Promise<Ssh2> {
  // A CommonJS module: its exports object is the default export.
  const m = (await import('ssh2')) as Ssh2 & { default?: Ssh2 };
  ssh2Module ??= m.default ?? m;
  return ssh2Module;
}

/** Where and how to reach one host. */
export interface SshTarget {
  /** Host name (spec key), for messages and the pool. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file; when absent the ssh-agent ($SSH_AUTH_SOCK) is used. */
  identityFile?: string;
  passphrase?: string;
  /** Pinned host key "TYPE BASE64"; known_hosts is then not consulted. */
  hostKey?: string;
}

export interface SshOptions {
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Accept and record keys of unknown hosts (--accept-new-host-keys). */
  acceptNewHostKeys?: boolean;
  /** Milliseconds for TCP connect + SSH handshake + auth (default 20000). */
  readyTimeoutMs?: number;
  /** SSH keepalive interval (default 10000; 3 unanswered = connection dropped). */
  keepaliveIntervalMs?: number;
  /** Concurrent exec channels per connection (default 8). */
  maxSessions?: number;
  /** Default per-call timeout (default 30000). */
  defaultTimeoutMs?: number;
  /** Told about every accepted host key (e.g. to print "recorded new host key ..."). */
  onHostKey?: (host: string, verdict: HostKeyVerdict) => void;
}

/** SshTarget from a spec host (which must have ssh settings). */
export function sshTargetFromHost(host: HostSpec): SshTarget {
  if (!host.ssh) throw new Error(`host ${host.name} has no ssh settings`);
  const s = host.ssh;
  return {
    name: host.name,
    address: s.address,
    port: s.port,
    user: s.user,
    ...(s.identityFile !== undefined ? { identityFile: s.identityFile } : {}),
    ...(s.hostKey !== undefined ? { hostKey: s.hostKey } : {}),
  };
}

/** ssh2 host key algorithm names for a key type found in known_hosts. */
function algorithmsForKeyType(t: string): string[] {
  return t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
}
const DEFAULT_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Wraps every command: report our pid on stderr (PID_MARKER), then become the program. Constant. */
const RUN_WRAPPER = `printf '\\001colo-pid=%s\\n' "$$" >&2; exec "$@"`;
const PID_MARKER = /\u0001colo-pid=(\d+)\n/;

/** $1 = pid: SIGKILL its process group if it leads one (its own, created by sshd's setsid), else just it. */
const KILL_SCRIPT = [
  'pg=$(sed -n "s/^.*) [A-Za-z] [0-9]* \\([0-9]*\\) .*$/\\1/p" "/proc/$1/stat" 2>/dev/null) || pg=',
  // POSIX form: dash's kill rejects `-KILL --`
  'if [ "$pg" = "$1" ]; then kill -s KILL -- "-$1"; else kill -s KILL "$1"; fi 2>/dev/null',
  'exit 0',
].join('\n');

/** Script for atomic writes: $1 = path, $2 = octal mode; data on stdin. Constant: never interpolated. */
const WRITE_SCRIPT = [
  'set -e',
  'umask 077',
  'tmp=$(mktemp "$1.colo-tmp.XXXXXX")',
  `trap 'rm -f "$tmp"' EXIT`,
  'cat > "$tmp"',
  'chmod "$2" "$tmp"',
  'mv -f "$tmp" "$1"',
  'trap - EXIT',
].join('\n');

/**
 * Script for processAlive: $1 = pid file. Prints the pid and exits 0 when alive; exits 3 (no pid file),
 * 4 (no pid in it), 5 (no such process or a zombie), 6 (kill -0 failed for another reason than EPERM).
 */
const ALIVE_SCRIPT = [
  '[ -e "$1" ] || exit 3',
  'pid=',
  'read -r pid < "$1" || [ -n "$pid" ] || exit 4',
  'case $pid in ""|*[!0-9]*) exit 4;; esac',
  '[ "$pid" -gt 0 ] || exit 4',
  '[ -d "/proc/$pid" ] || exit 5',
  'state=$(sed -n "s/^State:[[:space:]]*\\([A-Z]\\).*/\\1/p" "/proc/$pid/status" 2>/dev/null) || true',
  '[ "$state" != Z ] || exit 5',
  'if ! err=$(kill -0 "$pid" 2>&1); then case $err in *ermitted*) ;; *) exit 6;; esac; fi',
  'echo "$pid"',
].join('\n');

interface RawResult {
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** Map a remote tool's stderr to an errno-like code. */
function errnoFromStderr(stderr: string): string | undefined {
  if (/No such file or directory/i.test(stderr)) return 'ENOENT';
  if (/Permission denied/i.test(stderr)) return 'EACCES';
  if (/Is a directory/i.test(stderr)) return 'EISDIR';
  if (/Not a directory/i.test(stderr)) return 'ENOTDIR';
  return undefined;
}

export class SshTransport implements Transport {
  readonly host: string;
  private client: ClientT | undefined;
  private connecting: Promise<ClientT> | undefined;
  private closed = false;
  private readonly sessions: Semaphore;
  private readonly timeoutMs: number;
  private connects = 0;

  constructor(
    readonly target: SshTarget,
    private readonly opts: SshOptions = {},
  ) {
    this.host = target.name;
    this.sessions = new Semaphore(opts.maxSessions ?? 8);
    this.timeoutMs = opts.defaultTimeoutMs ?? 30000;
  }

  /** How many SSH connections this transport has opened so far (1 unless one dropped). */
  get connectionCount(): number {
    return this.connects;
  }

  /** Exec channels in use right now. */
  get sessionsInUse(): number {
    return this.sessions.inUse;
  }

  private where(): string {
    return `host ${this.host} (${this.target.address}:${this.target.port})`;
  }

  /** The connected client, connecting once if needed. */
  connection(): Promise<ClientT> {
    if (this.closed)
      return Promise.reject(new TransportError(this.host, `${this.host}: transport already closed`, 'ECLOSED'));
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async authConfig(): Promise<Partial<ConnectConfig>> {
    const t = this.target;
    if (t.identityFile !== undefined) {
      let key: Buffer;
      try {
        key = await readFile(t.identityFile);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new TransportError(
          this.host,
          `cannot read identity file ${t.identityFile} for host ${this.host}: ${code ?? (e as Error).message}`,
          code,
        );
      }
      const { utils } = await loadSsh2();
      const parsed = utils.parseKey(key, t.passphrase);
      if (parsed instanceof Error) {
        if (/no passphrase given/i.test(parsed.message)) {
          throw new TransportError(
            this.host,
            `identity file ${t.identityFile} for host ${this.host} is protected by a passphrase; add it to the ` +
              `ssh-agent ` +
              `(ssh-add ${t.identityFile}) and leave identityFile out of the spec, or use a key without a passphrase`,
            'EPASSPHRASE',
          );
        }
        if (/bad passphrase/i.test(parsed.message)) {
          throw new TransportError(
            this.host,
            `wrong passphrase for identity file ${t.identityFile} (host ${this.host})`,
            'EPASSPHRASE',
          );
        }
        throw new TransportError(
          this.host,
          `identity file ${t.identityFile} for host ${this.host} is not a usable private key: ${parsed.message}`,
          'EKEY',
        );
      }
      return { privateKey: key, ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}) };
    }
    const sock = process.env.SSH_AUTH_SOCK;
    if (!sock) {
      throw new TransportError(
        this.host,
        `host ${this.host} has no identityFile, so colo uses the ssh-agent, but SSH_AUTH_SOCK is not set; ` +
          `start an agent and add a key (eval "$(ssh-agent)"; ssh-add), or set identityFile for the host in the spec`,
        'ENOAGENT',
      );
    }
    return { agent: sock };
  }

  /** Host key algorithms in the order to offer: the pinned type or the types known_hosts has, first. */
  private async hostKeyAlgorithms(): Promise<string[]> {
    let preferred: string[] = [];
    if (this.target.hostKey !== undefined) {
      try {
        preferred = [parsePublicKey(this.target.hostKey).keyType];
      } catch {
        preferred = []; // the verifier reports the invalid pin
      }
    } else {
      const file = this.opts.knownHostsFile ?? defaultKnownHostsFile();
      const { parsed } = await readKnownHosts(file, this.host); // fails closed when unreadable
      preferred = knownKeyTypes(parsed, knownHostsName(this.target.address, this.target.port));
    }
    const first = preferred.flatMap(algorithmsForKeyType).filter((a) => DEFAULT_HOST_KEY_ALGOS.includes(a));
    return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGOS])];
  }

  private async connect(): Promise<ClientT> {
    const t = this.target;
    const auth = await this.authConfig();
    const serverHostKey = await this.hostKeyAlgorithms();
    const readyTimeout = this.opts.readyTimeoutMs ?? 20000;
    const { Client } = await loadSsh2();
    const client = new Client();
    let hostKeyError: HostKeyError | undefined;
    const policy = {
      host: t.name,
      address: t.address,
      port: t.port,
      ...(t.hostKey !== undefined ? { pinnedKey: t.hostKey } : {}),
      ...(this.opts.knownHostsFile !== undefined ? { knownHostsFile: this.opts.knownHostsFile } : {}),
      acceptNew: this.opts.acceptNewHostKeys ?? false,
    };
    return new Promise<ClientT>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        client.removeAllListeners('ready');
        client.on('error', () => {}); // late errors from a dead client are expected
        client.destroy();
        reject(err);
      };
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        this.connects++;
        this.client = client;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (!settled) fail(hostKeyError ?? this.connectError(err, readyTimeout));
        // After ready, 'close' follows and drops the client.
      });
      client.on('close', () => {
        if (this.client === client) this.client = undefined;
        if (!settled)
          fail(
            hostKeyError ??
              new TransportError(
                this.host,
                `cannot connect to ${this.where()}: connection closed during the SSH handshake`,
                'ECONNRESET',
              ),
          );
      });
      try {
        client.connect({
          host: t.address,
          port: t.port,
          username: t.user,
          ...auth,
          readyTimeout,
          keepaliveInterval: this.opts.keepaliveIntervalMs ?? 10000,
          keepaliveCountMax: 3,
          algorithms: {
            serverHostKey: serverHostKey as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>,
          },
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
            verifyHostKey(policy, key).then(
              (verdict) => {
                this.opts.onHostKey?.(this.host, verdict);
                verify(true);
              },
              (e: unknown) => {
                hostKeyError =
                  e instanceof HostKeyError
                    ? e
                    : new HostKeyError(this.host, `host key check for ${this.where()} failed: ${(e as Error).message}`);
                verify(false);
              },
            );
          },
        });
      } catch (e) {
        fail(new TransportError(this.host, `cannot connect to ${this.where()}: ${(e as Error).message}`));
      }
    });
  }

  private connectError(err: Error & { level?: string; code?: string }, readyTimeout: number): TransportError {
    const t = this.target;
    const where = this.where();
    switch (err.code) {
      case 'ECONNREFUSED':
        return new TransportError(
          this.host,
          `cannot connect to ${where}: connection refused — is sshd running?`,
          err.code,
        );
      case 'ETIMEDOUT':
        return new TransportError(this.host, `cannot connect to ${where}: TCP connect timed out`, err.code);
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return new TransportError(this.host, `cannot connect to ${where}: no route to host`, err.code);
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new TransportError(this.host, `cannot connect to ${where}: cannot resolve ${t.address}`, err.code);
      case 'ECONNRESET':
        return new TransportError(this.host, `cannot connect to ${where}: connection reset by peer`, err.code);
    }
    if (err.level === 'client-timeout') {
      return new TransportError(
        this.host,
        `cannot connect to ${where}: timed out after ${readyTimeout} ms waiting for the SSH handshake`,
        'ETIMEDOUT',
      );
    }
    if (err.level === 'client-authentication') {
      const tried =
        t.identityFile !== undefined
          ? `tried identity file ${t.identityFile}`
          : `tried the keys in the ssh-agent at ${process.env.SSH_AUTH_SOCK ?? '(none)'}`;
      return new TransportError(
        this.host,
        `authentication failed for ${t.user}@${this.host} (${t.address}:${t.port}): ${tried}`,
        'EAUTH',
      );
    }
    if (err.level === 'agent') {
      return new TransportError(
        this.host,
        `ssh-agent error while connecting to ${where}: ${err.message} ` +
          `(SSH_AUTH_SOCK=${process.env.SSH_AUTH_SOCK ?? ''})`,
        'EAGENT',
      );
    }
    return new TransportError(this.host, `cannot connect to ${where}: ${err.message}`, err.code);
  }

  private timeoutError(what: string, ms: number): () => TransportError {
    return () => new TransportError(this.host, `${this.host}: timed out after ${ms} ms ${what}`, 'ETIMEDOUT');
  }

  /**
   * Run an argv on an exec channel, holding a session slot until the channel closes.
   *
   * The command line is `exec sh -c RUN_WRAPPER sh ARGV...`: the wrapper reports its pid on stderr (a
   * marker line removed from the result) and execs the argv. On timeout colo kills that pid (its
   * process group when it leads one, as it does when sshd started the session with setsid) over a
   * fresh channel: OpenSSH ignores `signal` channel requests for root logins (they need post-auth
   * privilege separation, which root skips), and closing a channel alone does not stop a program
   * that never writes.
   */
  private async execRaw(
    argv: readonly string[],
    stdin: string | Buffer | undefined,
    signal: AbortSignal,
  ): Promise<RawResult> {
    const cmd = quoteArgv(['exec', 'sh', '-c', RUN_WRAPPER, 'sh', ...argv]);
    const shown = shortCommand(quoteArgv(argv));
    const client = await this.connection();
    if (signal.aborted) throw signal.reason;
    const release = await this.sessions.acquire(signal);
    try {
      return await new Promise<RawResult>((resolve, reject) => {
        let attempt = 0;
        const onOpen = (err: Error | undefined, ch: ClientChannel): void => {
          if (err) {
            // sshd refuses a channel while its count of sessions (MaxSessions) still includes ones
            // colo already closed: a race, not a verdict. Retry a few times with backoff.
            if (/open failed|administratively prohibited/i.test(err.message) && attempt < 6 && !signal.aborted) {
              const delay = 25 * 2 ** attempt++;
              setTimeout(() => client.exec(cmd, onOpen), delay);
              return;
            }
            reject(new TransportError(this.host, `${this.host}: cannot run ${shown}: ${err.message}`, 'ECHANNEL'));
            return;
          }
          const out: Buffer[] = [];
          const errb: Buffer[] = [];
          let head = Buffer.alloc(0); // stderr until the pid marker has been seen
          let pid: number | undefined;
          let killWanted = false;
          let exit: { code: number | null; signal?: string } | undefined;
          const kill = (): void => {
            if (pid !== undefined) this.killRemote(client, pid);
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
            signal.removeEventListener('abort', onAbort);
            if (exit) resolve({ ...exit, stdout: Buffer.concat(out), stderr: Buffer.concat([...errb, head]) });
            else if (signal.aborted) reject(signal.reason);
            else
              reject(
                new TransportError(
                  this.host,
                  `${this.host}: the SSH connection was lost while running ${shown}`,
                  'ECONNRESET',
                ),
              );
          });
          const onAbort = (): void => {
            killWanted = true;
            kill();
            ch.close();
          };
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
          ch.end(stdin);
        };
        try {
          client.exec(cmd, onOpen);
        } catch (e) {
          reject(
            new TransportError(this.host, `${this.host}: cannot run ${shown}: ${(e as Error).message}`, 'ECHANNEL'),
          );
        }
      });
    } finally {
      release();
    }
  }

  /**
   * SIGKILL a remote pid reported by RUN_WRAPPER, and its process group when it leads one. Uses a
   * channel outside the session semaphore (the cap leaves OpenSSH two spare sessions); best effort.
   */
  private killRemote(client: ClientT, pid: number): void {
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

  private runRaw(
    argv: readonly string[],
    stdin: string | Buffer | undefined,
    timeoutMs: number | undefined,
  ): Promise<RawResult> {
    const ms = timeoutMs ?? this.timeoutMs;
    return withDeadline(ms, this.timeoutError(`running ${shortCommand(quoteArgv(argv))}`, ms), (signal) =>
      this.execRaw(argv, stdin, signal),
    );
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.runRaw(withEnv(argv, opts.env), opts.stdin, opts.timeoutMs);
    return {
      code: r.code,
      ...(r.signal !== undefined ? { signal: r.signal } : {}),
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
    };
  }

  async check(argv: string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.run(argv, opts);
    if (r.code !== 0) throw new CommandError(this.host, argv, r);
    return r.stdout;
  }

  async readFile(path: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    const r = await this.runRaw(['cat', '--', path], undefined, opts.timeoutMs);
    if (r.code !== 0) {
      const stderr = r.stderr.toString('utf8').trim();
      throw new TransportError(
        this.host,
        `${this.host}: cannot read ${path}: ${stderr || `cat exited ${r.code ?? r.signal}`}`,
        errnoFromStderr(stderr),
      );
    }
    return r.stdout;
  }

  async writeFile(
    path: string,
    data: string | Buffer,
    opts: { mode?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    const mode = (opts.mode ?? 0o600).toString(8);
    const r = await this.runRaw(['sh', '-c', WRITE_SCRIPT, 'colo-write', path, mode], data, opts.timeoutMs);
    if (r.code !== 0) {
      const stderr = r.stderr.toString('utf8').trim();
      throw new TransportError(
        this.host,
        `${this.host}: cannot write ${path}: ${stderr || `exit ${r.code ?? r.signal}`}`,
        errnoFromStderr(stderr),
      );
    }
  }

  async openUnixSocket(path: string, opts: { timeoutMs?: number } = {}): Promise<Duplex> {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    return withDeadline(ms, this.timeoutError(`opening unix socket ${path}`, ms), async (signal) => {
      const client = await this.connection();
      return new Promise<Duplex>((resolve, reject) => {
        try {
          client.openssh_forwardOutStreamLocal(path, (err, ch) => {
            if (err) {
              reject(
                new TransportError(
                  this.host,
                  `${this.host}: cannot open unix socket ${path}: ${err.message} (does the socket exist, and ` +
                    `does sshd allow AllowStreamLocalForwarding?)`,
                  'ESOCKET',
                ),
              );
            } else if (signal.aborted) {
              ch.close();
              reject(signal.reason);
            } else {
              resolve(ch);
            }
          });
        } catch (e) {
          reject(
            new TransportError(
              this.host,
              `${this.host}: cannot open unix socket ${path}: ${(e as Error).message}`,
              'ESOCKET',
            ),
          );
        }
      });
    });
  }

  async processAlive(pidFile: string, opts: { timeoutMs?: number } = {}): Promise<number | null> {
    const r = await this.runRaw(['sh', '-c', ALIVE_SCRIPT, 'colo-alive', pidFile], undefined, opts.timeoutMs);
    if (r.code === 0) {
      const pid = parsePidFile(r.stdout.toString('utf8'));
      if (pid !== null) return pid;
    }
    if (r.code !== null && r.code >= 3 && r.code <= 6) return null;
    throw new TransportError(
      this.host,
      `${this.host}: cannot check pid file ${pidFile}: ` +
        `${r.stderr.toString('utf8').trim() || `exit ${r.code ?? r.signal}`}`,
    );
  }

  async startDetached(argv: string[], pidFile: string, opts: RunOptions = {}): Promise<number> {
    const r = await this.run(argv, opts);
    if (r.code !== 0) throw new CommandError(this.host, argv, r);
    // The daemon writes its pid file before the parent exits; allow a short grace for slow writers.
    for (let i = 0; ; i++) {
      try {
        const pid = parsePidFile((await this.readFile(pidFile, { timeoutMs: 10000 })).toString('utf8'));
        if (pid !== null) return pid;
      } catch (e) {
        if (!(e instanceof TransportError) || e.causeCode !== 'ENOENT') throw e;
      }
      if (i >= 10) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new TransportError(this.host, `${this.host}: ${argv[0]} exited 0 but wrote no pid to ${pidFile}`);
  }

  /** Drop the current connection without closing the transport (tests; the next call reconnects). */
  dropConnection(): void {
    this.client?.destroy();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.destroy();
        resolve();
      }, 2000);
      c.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      c.end();
    });
  }

  /** Synchronous teardown for process 'exit'. */
  destroy(): void {
    this.closed = true;
    this.client?.destroy();
    this.client = undefined;
  }
}
