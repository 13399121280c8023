/**
 * One probe of a guest service forwarded to a TCP port (colo verify): http sends a GET and wants
 * an answer; tcp wants the connection to stay up. Resolves to what the service sent.
 */
import { connect } from 'node:net';

export type ServiceProbeKind = 'http' | 'tcp';

export function probeService(
  address: string,
  port: number,
  kind: ServiceProbeKind,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: address, port });
    let got = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(got);
    };
    const timer = setTimeout(
      () =>
        kind === 'tcp' && got === ''
          ? done()
          : done(new Error(`no answer from ${address}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.once('connect', () => {
      if (kind === 'http') sock.write(`GET / HTTP/1.0\r\nHost: ${address}\r\n\r\n`);
    });
    sock.on('data', (d) => {
      got += String(d);
      // an HTTP answer is complete when the server closes (HTTP/1.0) or the body has begun
      if (kind === 'http' && /\r?\n\r?\n[^]*\S/.test(got)) done();
    });
    sock.once('close', () =>
      kind === 'http' && got
        ? done()
        : done(new Error(`${address}:${port} closed the connection${got ? '' : ' without answering'}`)),
    );
    sock.once('error', (e) => done(e));
  });
}
