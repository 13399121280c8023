/**
 * The HTTP load generator of the latency benchmark, run where the client is (inside the netns lab's
 * client namespace through `ip netns exec`, or in the root namespace for the loopback lab):
 * `node --import tsx http-load-main.ts ADDRESS PORT PATH COUNT CONCURRENCY`. COUNT GETs in total,
 * CONCURRENCY loops of back-to-back requests (each the next as soon as the previous answered, a new
 * TCP connection per request, as the guest's busybox httpd closes it), every latency measured with
 * the monotonic clock from the connect to the end of the answer. Prints one JSON object on stdout:
 * `{"latenciesMs":[...],"errors":N,"wallMs":W,"firstError":"..."}`.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

const [address, port, path, count, concurrency] = process.argv.slice(2);
if (!address || !port || !path || !count || !concurrency) {
  process.stderr.write('usage: http-load-main.ts ADDRESS PORT PATH COUNT CONCURRENCY\n');
  process.exit(2);
}
const total = Number(count);
const latenciesMs: number[] = [];
let errors = 0;
let firstError: string | undefined;
let issued = 0;

function get(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(
      { host: address, port: Number(port), path, method: 'GET', timeout: 10_000, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 500) latenciesMs.push(performance.now() - t0);
          else {
            errors++;
            firstError ??= `status ${res.statusCode}`;
          }
          resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (e) => {
      errors++;
      firstError ??= e.message;
      resolve();
    });
    req.end();
  });
}

const t0 = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (issued < total) {
      issued++;
      await get();
    }
  }),
);
process.stdout.write(
  `${JSON.stringify({ latenciesMs, errors, wallMs: performance.now() - t0, ...(firstError ? { firstError } : {}) })}\n`,
);
