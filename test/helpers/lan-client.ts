/**
 * A client in the netns lab's client namespace (test/helpers/lan-client-main.ts run through
 * `ip netns exec`), seen from the test: the lines of its ONE stream connection (with arrival times in
 * ms since the epoch), how the connection ended if it did, and its HTTP polls of the guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { streamProblems, type StreamLine } from './stream.ts';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lan-client-main.ts');

export interface HttpPoll {
  ok: boolean;
  at: number;
  boot?: string;
  counter?: number;
  ms?: number;
  error?: string;
}

/** Now, in the client's clock (ms since the epoch). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export interface Silence {
  /** Longest gap between two consecutive stream lines, in ms. */
  ms: number;
  /** The seq of the line that ended it. */
  seq: number;
}

/** The longest gap between consecutive lines arriving at or after `since` (epoch ms); 0 with fewer than 2. */
export function longestSilence(lines: readonly StreamLine[], since = 0): Silence {
  let best: Silence = { ms: 0, seq: 0 };
  for (let i = 1; i < lines.length; i++) {
    const [a, b] = [lines[i - 1]!, lines[i]!];
    if (b.atMs < since) continue;
    if (b.atMs - a.atMs > best.ms) best = { ms: b.atMs - a.atMs, seq: b.seq };
  }
  return best;
}

export class LanClient {
  readonly lines: StreamLine[] = [];
  readonly unparsed: string[] = [];
  readonly polls: HttpPoll[] = [];
  ended: string | undefined;
  connected = false;
  stderr = '';
  readonly #child: ChildProcess;
  #buf = '';

  constructor(namespace: string, address: string, streamPort: number, httpPort: number, pollMs = 200) {
    const argv = ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', MAIN];
    this.#child = spawn('ip', [...argv, address, String(streamPort), String(httpPort), String(pollMs)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stdout!.on('data', (d: string) => this.#onData(d));
    this.#child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.#child.on('exit', (code) => (this.ended ??= `the client process exited (${code}): ${this.stderr.trim()}`));
  }

  #onData(chunk: string): void {
    this.#buf += chunk;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const m = JSON.parse(this.#buf.slice(0, nl)) as Record<string, unknown> & { t: string; at: number };
      this.#buf = this.#buf.slice(nl + 1);
      if (m.t === 'line') this.lines.push({ seq: m['seq'] as number, boot: m['boot'] as string, atMs: m.at });
      else if (m.t === 'unparsed') this.unparsed.push(m['text'] as string);
      else if (m.t === 'end') this.ended ??= m['why'] as string;
      else if (m.t === 'connected') this.connected = true;
      else if (m.t === 'http') this.polls.push(m as unknown as HttpPoll);
    }
  }

  /** Resolves once `count` more lines than now have arrived; rejects when the stream ends first or on time-out. */
  async moreLines(count: number, timeoutMs: number): Promise<void> {
    const want = this.lines.length + count;
    const end = Date.now() + timeoutMs;
    while (this.lines.length < want) {
      if (this.ended !== undefined) throw new Error(`the stream ended (${this.ended}) at ${this.lines.length} lines`);
      if (Date.now() > end) throw new Error(`${this.lines.length} of ${want} stream lines within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves with the first successful HTTP poll after `since` (epoch ms). */
  async httpAnswerAfter(since: number, timeoutMs: number): Promise<HttpPoll> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const p = this.polls.find((x) => x.ok && x.at > since);
      if (p) return p;
      if (Date.now() > end)
        throw new Error(`no HTTP answer within ${timeoutMs} ms (last: ${JSON.stringify(this.polls.at(-1))})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** What is wrong with the stream so far (test/helpers/stream.ts) plus its end, if it ended. */
  problems(): string[] {
    return [...streamProblems(this.lines, this.unparsed), ...(this.ended ? [`the stream ended: ${this.ended}`] : [])];
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) return resolve();
      this.#child.once('exit', () => resolve());
      this.#child.stdin!.end();
      setTimeout(() => this.#child.kill('SIGKILL'), 3000).unref();
    });
  }
}
