/**
 * A client on the netns lab's LAN, run inside the client namespace by test/helpers/lan-client.ts
 * (`ip netns exec NS node --import tsx lan-client-main.ts ADDRESS STREAM_PORT HTTP_PORT POLL_MS`): it
 * holds ONE connection to the guest's stream and polls the guest's HTTP every POLL_MS, and reports
 * everything as JSON lines on stdout, each with `at` (ms since the epoch, sub-ms, comparable across
 * processes): `{"t":"line","seq","boot","at"}`, `{"t":"unparsed","text","at"}`, `{"t":"end","why","at"}`,
 * `{"t":"http","ok":true,"boot","counter","ms","at"}` or `{"t":"http","ok":false,"error","at"}`.
 * It never reconnects the stream: a reset is reported as the end, and stays the end.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseStreamLine } from './stream.ts';

const [address, streamPort, httpPort, pollMs] = process.argv.slice(2);
if (!address || !streamPort || !httpPort || !pollMs) {
  process.stderr.write('usage: lan-client-main.ts ADDRESS STREAM_PORT HTTP_PORT POLL_MS\n');
  process.exit(2);
}
const now = (): number => performance.timeOrigin + performance.now();
const emit = (o: Record<string, unknown>): void =>
  void process.stdout.write(`${JSON.stringify({ ...o, at: now() })}\n`);

let ended = false;
const sock = net.connect({ host: address, port: Number(streamPort) });
sock.setEncoding('utf8');
let buf = '';
sock.on('connect', () => emit({ t: 'connected' }));
sock.on('data', (chunk: string) => {
  buf += chunk;
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const text = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const p = parseStreamLine(text);
    emit(p ? { t: 'line', ...p } : { t: 'unparsed', text: text.slice(0, 200) });
  }
});
const end = (why: string): void => {
  if (ended) return;
  ended = true;
  emit({ t: 'end', why });
};
sock.on('error', (e) => end(`error: ${e.message}`));
sock.on('close', () => end('closed'));

/** One HTTP GET; resolves when it answered, failed or timed out (after 5 poll periods). */
function poll(): Promise<void> {
  return new Promise((resolve) => {
    const started = now();
    const s = net.connect({ host: address, port: Number(httpPort) });
    let got = '';
    const limit = Number(pollMs) * 5;
    const timer = setTimeout(() => s.destroy(new Error(`no answer within ${limit} ms`)), limit);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`GET / HTTP/1.0\r\nHost: ${address}\r\n\r\n`));
    s.on('data', (d: string) => (got += d));
    s.on('error', (e) => emit({ t: 'http', ok: false, error: e.message }));
    s.on('close', (hadError) => {
      clearTimeout(timer);
      resolve();
      if (hadError) return;
      const boot = /boot=(\w+)/.exec(got)?.[1];
      const counter = /counter=(\d+)/.exec(got)?.[1];
      if (boot && counter) emit({ t: 'http', ok: true, boot, counter: Number(counter), ms: now() - started });
      else emit({ t: 'http', ok: false, error: `unexpected answer: ${got.slice(0, 100)}` });
    });
  });
}

// One poll at a time, one every POLL_MS (or right after a slower one); stdin closing (the parent
// gone) ends the client.
let stopping = false;
process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
  sock.destroy();
  process.exit(0);
});
while (!stopping) {
  const started = now();
  await poll();
  await new Promise((r) => setTimeout(r, Math.max(0, Number(pollMs) - (now() - started))));
}
