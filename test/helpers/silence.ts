/**
 * Client-visible silence: what a client of the guest sees of a checkpoint. A few clients send HTTP
 * requests back to back (each the next as soon as the previous is answered) and record when each
 * answer completed; while a checkpoint stops the guest no answer completes, so the gap between two
 * completions that spans a checkpoint is the silence the client saw. Used by the e2e test and the
 * checkpoints benchmark (bench/checkpoints.bench.ts) to hold colo's pause figures against it.
 */
import { request } from 'node:http';

export interface RequestRecord {
  /** Wall clock, ms since the epoch (sub-millisecond). */
  startMs: number;
  endMs: number;
  status: number;
}

export interface SilenceProbe {
  /** Stops the clients (after their requests in flight) and returns every completed request. */
  stop(): Promise<RequestRecord[]>;
}

const now = (): number => performance.timeOrigin + performance.now();

function get(address: string, port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `clients` loops of back-to-back GETs of `path` (any answer counts: a 404 is as good as a 200). */
export function probeSilence(address: string, port: number, clients = 4, path = '/silence-probe'): SilenceProbe {
  const records: RequestRecord[] = [];
  let stopped = false;
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      const startMs = now();
      try {
        const status = await get(address, port, path, 10_000);
        records.push({ startMs, endMs: now(), status });
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return records.sort((a, b) => a.endMs - b.endMs);
    },
  };
}

export interface Pause {
  stopMs: number;
  resumeMs: number;
}

/** Per pause: the longest gap between two completions that overlaps it (ms); null without completions around it. */
export function silenceAround(records: RequestRecord[], pauses: Pause[]): (number | null)[] {
  const ends = records.map((r) => r.endMs).sort((a, b) => a - b);
  return pauses.map((p) => {
    let best: number | null = null;
    for (let i = 1; i < ends.length; i++) {
      const a = ends[i - 1]!;
      const b = ends[i]!;
      if (a < p.resumeMs && b > p.stopMs) best = Math.max(best ?? 0, b - a);
    }
    return best;
  });
}

/** Latencies of the requests that overlap no pause (ms, sorted). */
export function quietLatencies(records: RequestRecord[], pauses: Pause[], padMs = 50): number[] {
  return records
    .filter((r) => !pauses.some((p) => r.startMs < p.resumeMs + padMs && r.endMs > p.stopMs - padMs))
    .map((r) => r.endMs - r.startMs)
    .sort((a, b) => a - b);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}
