/** A byte stream to a unix socket on the host (QMP): OpenSSH streamlocal forwarding. */
import type { Duplex } from 'node:stream';
import type { Client as ClientT } from 'ssh2';
import { TransportError } from './types.ts';

/** Opens the forwarded stream; closes it again when `signal` aborted meanwhile. */
export function openStreamLocal(host: string, client: ClientT, path: string, signal: AbortSignal): Promise<Duplex> {
  const failed = (why: string): TransportError =>
    new TransportError(host, `${host}: cannot open unix socket ${path}: ${why}`, 'ESOCKET');
  return new Promise<Duplex>((resolve, reject) => {
    try {
      client.openssh_forwardOutStreamLocal(path, (err, ch) => {
        if (err) {
          reject(failed(`${err.message} (does the socket exist, and does sshd allow AllowStreamLocalForwarding?)`));
        } else if (signal.aborted) {
          ch.close();
          reject(signal.reason);
        } else {
          resolve(ch);
        }
      });
    } catch (e) {
      reject(failed((e as Error).message));
    }
  });
}
