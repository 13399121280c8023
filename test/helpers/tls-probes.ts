/**
 * Clients without credentials against the lab's replication ports: a raw TCP client sending plain
 * bytes, `openssl s_client` with the lab CA but no certificate of its own, and qemu-img as a plain
 * NBD client (or, as the positive control, with a host's client credentials).
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

/** Sends plain bytes; 'closed' when the peer closes or resets within `ms`, else 'open'. */
export function plainClient(host: string, port: number, ms = 5000): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    const timer = setTimeout(() => {
      s.destroy();
      resolve('open');
    }, ms);
    s.on('connect', () => s.write('GET / HTTP/1.0\r\nplain bytes, no TLS\r\n\r\n'));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

export interface SClientResult {
  /** The server sent a certificate chain that verified against the CA: it speaks TLS with our CA. */
  serverVerified: boolean;
  /**
   * The server kept a TLS session: a cipher was negotiated and it had not closed the connection after
   * `holdMs` (s_client runs with -ign_eof, so only the server's close ends it). In TLS 1.3 the client
   * finishes its side before the server checks the client certificate, so only the server's close
   * tells a refusal.
   */
  established: boolean;
  output: string;
}

/** `openssl s_client -ign_eof` with the CA and, optionally, a client certificate and key, for up to `holdMs`. */
export function sClient(
  host: string,
  port: number,
  caFile: string,
  client?: { cert: string; key: string },
  holdMs = 8000,
): SClientResult {
  const args = ['s_client', '-connect', `${host}:${port}`, '-CAfile', caFile, '-verify_return_error', '-ign_eof'];
  if (client) args.push('-cert', client.cert, '-key', client.key);
  const r = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: holdMs });
  const output = `${r.stdout}\n${r.stderr}`;
  const held = r.signal !== null; // killed at holdMs: the server had not closed
  return {
    serverVerified: /Verify return code: 0 \(ok\)/.test(output),
    established: held && /Cipher is (?!\(NONE\))/.test(output),
    output,
  };
}

/** qemu-img info on an NBD export; with `credsDir`, as a TLS client with those credentials. */
export function nbdInfo(host: string, port: number, exportName: string, credsDir?: string) {
  const tls = credsDir ? ',tls-creds=c' : '';
  const args = [
    'info',
    ...(credsDir ? ['--object', `tls-creds-x509,id=c,endpoint=client,dir=${credsDir}`] : []),
    '--image-opts',
    `driver=nbd,server.type=inet,server.host=${host},server.port=${port},export=${exportName}${tls}`,
  ];
  const r = spawnSync('qemu-img', args, { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
