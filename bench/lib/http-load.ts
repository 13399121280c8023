/**
 * Runs bench/lib/http-load-main.ts where the client is (a network namespace, or here) and sums up
 * its latencies: p50/p95/p99/max and requests per second.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'http-load-main.ts');

export interface LoadFigures {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  reqPerS: number;
  firstError?: string;
}

/** The p-quantile (0..1) by the nearest-rank method; NaN for no values. */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export async function httpLoad(opts: {
  /** Network namespace of the client; absent: this namespace. */
  namespace?: string;
  address: string;
  port: number;
  path?: string;
  count: number;
  concurrency: number;
}): Promise<LoadFigures> {
  const node = [process.execPath, '--import', 'tsx', MAIN];
  const args = [opts.address, String(opts.port), opts.path ?? '/', String(opts.count), String(opts.concurrency)];
  const [file, argv] = opts.namespace
    ? ['ip', ['netns', 'exec', opts.namespace, ...node, ...args]]
    : [node[0]!, [...node.slice(1), ...args]];
  const out = await new Promise<string>((resolve, reject) =>
    execFile(file, argv, { timeout: 15 * 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`http load: ${err.message} ${stderr}`)) : resolve(stdout),
    ),
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
    latenciesMs: number[];
    errors: number;
    wallMs: number;
    firstError?: string;
  };
  const l = r.latenciesMs;
  return {
    requests: l.length,
    errors: r.errors,
    p50: quantile(l, 0.5),
    p95: quantile(l, 0.95),
    p99: quantile(l, 0.99),
    max: quantile(l, 1),
    reqPerS: (l.length * 1000) / r.wallMs,
    ...(r.firstError ? { firstError: r.firstError } : {}),
  };
}
