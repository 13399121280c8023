/**
 * Closing an SSH connection whose handshake never completes (a host that accepts TCP but sends no
 * banner: frozen sshd, or a link gone dead past the connect) returns at once instead of waiting for
 * ssh2's ready timeout; the pending connect fails. A local TCP server that never speaks stands in
 * for the silent host (a real sshd cannot be made to hang on cue without SIGSTOP, see
 * test/e2e/hung-peer.test.ts for that).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SshConnection } from '../../../src/transport/ssh-connection.ts';
import { TransportError } from '../../../src/transport/types.ts';

test('close() abandons an SSH handshake that never completes, at once', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s)); // accepts, never sends a banner
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const dir = await mkdtemp(path.join(tmpdir(), 'colo-ssh-close-'));
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, '');
  const agent = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = path.join(dir, 'no-agent'); // never reached: no banner, no auth
  try {
    const conn = new SshConnection(
      { name: 'silent', address: '127.0.0.1', port, user: 'root' },
      { knownHostsFile: knownHosts, readyTimeoutMs: 20_000 },
    );
    const pending = conn.get();
    pending.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sockets.length, 1, 'the TCP connection was accepted');
    const t0 = performance.now();
    await conn.close();
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `close took ${Math.round(ms)} ms (the ready timeout is 20 s)`);
    await assert.rejects(pending, TransportError);
  } finally {
    if (agent === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = agent;
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  }
});
