/**
 * The lab guest's stream service (src/lab/guest-services.ts) from the test's side: one TCP connection,
 * every line it brings with the time it arrived, and what is wrong with them (a gap in seq, a changed
 * boot id, a line of another form). A test can keep one open across a failover and check it after.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface StreamLine {
  seq: number;
  boot: string;
  /** performance.now() when the line's last byte arrived. */
  atMs: number;
}

/** One line of the stream, parsed; undefined when it is not of the form `seq=N boot=ID`. */
export function parseStreamLine(line: string): { seq: number; boot: string } | undefined {
  const m = /^seq=([1-9][0-9]*) boot=([0-9A-Za-z-]{1,64})$/.exec(line);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { seq: Number(m[1]), boot: m[2] };
}

/**
 * What is wrong with a connection's lines: not starting at seq=1, a seq that does not follow the one
 * before, an empty or changing boot id, lines that did not parse. Empty when all is well.
 */
export function streamProblems(lines: readonly StreamLine[], unparsed: readonly string[] = []): string[] {
  const problems = unparsed.map((l) => `not a stream line: ${JSON.stringify(l.slice(0, 120))}`);
  if (lines.length === 0) return [...problems, 'no lines'];
  if (lines[0]!.seq !== 1) problems.push(`the first line has seq=${lines[0]!.seq}, not 1`);
  for (let i = 1; i < lines.length; i++) {
    const [a, b] = [lines[i - 1]!, lines[i]!];
    if (b.seq !== a.seq + 1) problems.push(`seq=${a.seq} is followed by seq=${b.seq}`);
    if (b.boot !== a.boot) problems.push(`boot id changed from ${a.boot} to ${b.boot} at seq=${b.seq}`);
  }
  return problems;
}

/** Gaps between consecutive lines' arrival, in ms. */
export function arrivalGaps(lines: readonly StreamLine[]): number[] {
  return lines.slice(1).map((l, i) => l.atMs - lines[i]!.atMs);
}

export class StreamWatch {
  readonly lines: StreamLine[] = [];
  readonly unparsed: string[] = [];
  /** Set when the connection ended (closed by the peer, reset, or an error). */
  ended: string | undefined;
  readonly #socket: net.Socket;
  #buffer = '';
  #waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (e) => this.#end(`error: ${e.message}`));
    socket.on('close', () => this.#end('closed'));
  }

  /** Connects to host:port; rejects when the connection is not up within timeoutMs. */
  static open(host: string, port: number, timeoutMs = 5000): Promise<StreamWatch> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new StreamWatch(socket));
      });
    });
  }

  /** Resolves once `count` lines have arrived; rejects on time-out, or when the connection ended first. */
  async waitForLines(count: number, timeoutMs: number): Promise<StreamLine[]> {
    const end = performance.now() + timeoutMs;
    while (this.lines.length + this.unparsed.length < count) {
      if (this.ended !== undefined) {
        throw new Error(`the stream ended (${this.ended}) after ${this.lines.length} of ${count} lines`);
      }
      const left = end - performance.now();
      if (left <= 0) throw new Error(`${this.lines.length} of ${count} stream lines within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.lines.slice(0, count);
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: string): void {
    const at = performance.now();
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const text = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const parsed = parseStreamLine(text);
      if (parsed) this.lines.push({ ...parsed, atMs: at });
      else this.unparsed.push(text);
    }
    this.#wake();
  }

  #end(why: string): void {
    this.ended ??= why;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
