/**
 * src/transport/tcp-probe.ts, against throwaway servers on 127.0.0.1: an HTTP GET answered, a TCP
 * connection that stays up, a server that closes without answering, nothing listening.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { probeService } from '../../../src/transport/tcp-probe.ts';

function listen(onConnection: (sock: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

describe('probeService', () => {
  const servers: Server[] = [];
  let http = 0;
  let silent = 0;
  let rude = 0;
  let requests: string[] = [];
  before(async () => {
    const h = await listen((sock) =>
      sock.once('data', (d) => {
        requests.push(String(d));
        sock.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from web\n');
      }),
    );
    const s = await listen(() => {});
    const r = await listen((sock) => sock.end());
    servers.push(h.server, s.server, r.server);
    [http, silent, rude] = [h.port, s.port, r.port];
  });
  after(() => servers.forEach((s) => s.close()));

  test('http: a GET, resolved with the whole answer', async () => {
    requests = [];
    const answer = await probeService('127.0.0.1', http, 'http', 2000);
    assert.match(answer, /^HTTP\/1\.0 200 OK\r\n[^]*\r\n\r\nhello from web\n$/);
    assert.match(requests[0]!, /^GET \/ HTTP\/1\.0\r\nHost: 127\.0\.0\.1\r\n\r\n$/);
  });

  test('tcp: a connection that stays up until the timeout is an answer', async () => {
    assert.equal(await probeService('127.0.0.1', silent, 'tcp', 300), '');
  });

  test('http: no answer within the timeout', async () => {
    await assert.rejects(
      probeService('127.0.0.1', silent, 'http', 300),
      /no answer from 127\.0\.0\.1:\d+ within 300 ms/,
    );
  });

  test('a server that closes without answering', async () => {
    await assert.rejects(probeService('127.0.0.1', rude, 'tcp', 2000), /closed the connection without answering/);
  });

  test('nothing listening', async () => {
    const { server, port } = await listen(() => {});
    await new Promise((r) => server.close(r));
    await assert.rejects(probeService('127.0.0.1', port, 'tcp', 2000), /ECONNREFUSED/);
  });
});
