/** ssh2's connection errors and remote tools' stderr mapped to colo's TransportErrors with errno-like codes. */
import { whereOf, type SshTarget } from './ssh-target.ts';
import { TransportError } from './types.ts';

/** Map a remote tool's stderr to an errno-like code. */
export function errnoFromStderr(stderr: string): string | undefined {
  if (/No such file or directory/i.test(stderr)) return 'ENOENT';
  if (/Permission denied/i.test(stderr)) return 'EACCES';
  if (/Is a directory/i.test(stderr)) return 'EISDIR';
  if (/Not a directory/i.test(stderr)) return 'ENOTDIR';
  return undefined;
}

/** The network-level failures (sshd not there, no route, no name). */
function networkError(t: SshTarget, code: string | undefined): TransportError | undefined {
  const where = whereOf(t);
  switch (code) {
    case 'ECONNREFUSED':
      return new TransportError(t.name, `cannot connect to ${where}: connection refused — is sshd running?`, code);
    case 'ETIMEDOUT':
      return new TransportError(t.name, `cannot connect to ${where}: TCP connect timed out`, code);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError(t.name, `cannot connect to ${where}: no route to host`, code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError(t.name, `cannot connect to ${where}: cannot resolve ${t.address}`, code);
    case 'ECONNRESET':
      return new TransportError(t.name, `cannot connect to ${where}: connection reset by peer`, code);
  }
  return undefined;
}

/** An error ssh2 reported before the connection was ready. */
export function connectError(
  t: SshTarget,
  err: Error & { level?: string; code?: string },
  readyTimeout: number,
): TransportError {
  const where = whereOf(t);
  const network = networkError(t, err.code);
  if (network) return network;
  if (err.level === 'client-timeout') {
    return new TransportError(
      t.name,
      `cannot connect to ${where}: timed out after ${readyTimeout} ms waiting for the SSH handshake`,
      'ETIMEDOUT',
    );
  }
  if (err.level === 'client-authentication') {
    const tried =
      t.identityFile !== undefined
        ? `tried identity file ${t.identityFile}`
        : `tried the keys in the ssh-agent at ${process.env.SSH_AUTH_SOCK ?? '(none)'}`;
    return new TransportError(
      t.name,
      `authentication failed for ${t.user}@${t.name} (${t.address}:${t.port}): ${tried}`,
      'EAUTH',
    );
  }
  if (err.level === 'agent') {
    return new TransportError(
      t.name,
      `ssh-agent error while connecting to ${where}: ${err.message} ` +
        `(SSH_AUTH_SOCK=${process.env.SSH_AUTH_SOCK ?? ''})`,
      'EAGENT',
    );
  }
  return new TransportError(t.name, `cannot connect to ${where}: ${err.message}`, err.code);
}

/** The error a call that ran out of time rejects with. */
export function timeoutError(host: string, what: string, ms: number): () => TransportError {
  return () => new TransportError(host, `${host}: timed out after ${ms} ms ${what}`, 'ETIMEDOUT');
}
