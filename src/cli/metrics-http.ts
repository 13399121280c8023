/**
 * The HTTP side of `colo metrics --listen ADDR:PORT`: GET /metrics serves the collector's latest
 * exposition text, bound to the given address only. A scrape never waits for a collection: it
 * answers from the latest snapshot (before the first one ends it waits at most the scrape timeout:
 * --scrape-timeout, or Prometheus's X-Prometheus-Scrape-Timeout-Seconds when shorter).
 */
import { createServer, type Server } from 'node:http';
import { METRICS_CONTENT_TYPE } from '../ui/views/metrics/metrics-text.ts';
import { UserError } from './user-error.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:9464", "[::1]:9464", "localhost:0" -> host and port. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new UserError(`--listen: "${text}" is not ADDRESS:PORT (examples: 127.0.0.1:9464, [::1]:9464)`);
  return { host: (m[1] ?? m[2])!, port };
}

export function serveMetrics(
  addr: ListenAddress,
  text: (timeoutMs: number) => Promise<string>,
  scrapeTimeoutMs: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(path === '/metrics' ? 'method not allowed\n' : 'not found: colo serves /metrics\n');
      return;
    }
    const header = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
    const timeoutMs =
      Number.isFinite(header) && header > 0 ? Math.min(scrapeTimeoutMs, header * 1000) : scrapeTimeoutMs;
    text(Math.max(0, timeoutMs - 100)).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: Error) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`colo metrics: ${err.message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UserError(`--listen ${addr.host}:${addr.port}: cannot listen: ${err.code ?? err.message}`)),
    );
    server.listen(addr.port, addr.host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : addr.port;
      const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
      resolve({ server, url: `http://${host}:${port}/metrics` });
    });
  });
}
