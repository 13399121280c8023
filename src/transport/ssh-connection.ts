/**
 * One SSH connection to a host, opened lazily on the first call (concurrent first calls share the
 * connect) and re-opened by the next call if it drops. Host keys are verified by host-key-policy.ts
 * through ssh2's hostVerifier hook (ssh2 alone would accept any).
 */
import type { Client as ClientT, ConnectConfig } from 'ssh2';
import { verifyHostKey, type HostKeyPolicy } from './host-key-policy.ts';
import { authConfig, hostKeyAlgorithms } from './ssh-auth.ts';
import { connectError } from './ssh-errors.ts';
import { loadSsh2 } from './ssh2-module.ts';
import { whereOf, type SshOptions, type SshTarget } from './ssh-target.ts';
import { HostKeyError, TransportError } from './types.ts';

export class SshConnection {
  private client: ClientT | undefined;
  private connecting: Promise<ClientT> | undefined;
  private closed = false;
  /** The client of a connect not ready yet. */
  private handshaking: ClientT | undefined;
  private connects = 0;

  constructor(
    readonly target: SshTarget,
    private readonly opts: SshOptions,
  ) {}

  /** How many SSH connections have been opened so far (1 unless one dropped). */
  get count(): number {
    return this.connects;
  }

  /** The connected client, connecting once if needed. */
  get(): Promise<ClientT> {
    const host = this.target.name;
    if (this.closed) return Promise.reject(new TransportError(host, `${host}: transport already closed`, 'ECLOSED'));
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  /** Drop the current connection without closing (the next call reconnects). */
  drop(): void {
    this.client?.destroy();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A handshake still under way (a host that does not answer) is abandoned, not waited for.
    this.handshaking?.destroy();
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.destroy();
        resolve();
      }, 2000);
      c.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      c.end();
    });
  }

  /** Synchronous teardown for process 'exit'. */
  destroy(): void {
    this.closed = true;
    this.client?.destroy();
    this.client = undefined;
  }

  private async connect(): Promise<ClientT> {
    const readyTimeout = this.opts.readyTimeoutMs ?? 20000;
    const hostKey: { error?: HostKeyError } = {};
    const config = await this.connectConfig(readyTimeout, hostKey);
    const { Client } = await loadSsh2();
    const client = new Client();
    this.handshaking = client;
    return new Promise<ClientT>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        this.handshaking = undefined;
        client.removeAllListeners('ready');
        client.on('error', () => {}); // late errors from a dead client are expected
        client.destroy();
        reject(err);
      };
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        this.handshaking = undefined;
        this.connects++;
        this.client = client;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (!settled) fail(hostKey.error ?? connectError(this.target, err, readyTimeout));
        // After ready, 'close' follows and drops the client.
      });
      client.on('close', () => {
        if (this.client === client) this.client = undefined;
        if (!settled) fail(hostKey.error ?? this.closedDuringHandshake());
      });
      try {
        client.connect(config);
      } catch (e) {
        fail(
          new TransportError(this.target.name, `cannot connect to ${whereOf(this.target)}: ${(e as Error).message}`),
        );
      }
    });
  }

  private closedDuringHandshake(): TransportError {
    return new TransportError(
      this.target.name,
      `cannot connect to ${whereOf(this.target)}: connection closed during the SSH handshake`,
      'ECONNRESET',
    );
  }

  /** ssh2's settings: address, auth, keepalive, host key algorithms, the verifying hook (refusal in `hostKey`). */
  private async connectConfig(readyTimeout: number, hostKey: { error?: HostKeyError }): Promise<ConnectConfig> {
    const t = this.target;
    const auth = await authConfig(t);
    const serverHostKey = await hostKeyAlgorithms(t, this.opts.knownHostsFile);
    const policy: HostKeyPolicy = {
      host: t.name,
      address: t.address,
      port: t.port,
      ...(t.hostKey !== undefined ? { pinnedKey: t.hostKey } : {}),
      ...(this.opts.knownHostsFile !== undefined ? { knownHostsFile: this.opts.knownHostsFile } : {}),
      acceptNew: this.opts.acceptNewHostKeys ?? false,
    };
    return {
      host: t.address,
      port: t.port,
      username: t.user,
      ...auth,
      readyTimeout,
      keepaliveInterval: this.opts.keepaliveIntervalMs ?? 10000,
      keepaliveCountMax: 3,
      algorithms: {
        serverHostKey: serverHostKey as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>,
      },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
        verifyHostKey(policy, key).then(
          (verdict) => {
            this.opts.onHostKey?.(t.name, verdict);
            verify(true);
          },
          (e: unknown) => {
            hostKey.error =
              e instanceof HostKeyError
                ? e
                : new HostKeyError(t.name, `host key check for ${whereOf(t)} failed: ${(e as Error).message}`);
            verify(false);
          },
        );
      },
    };
  }
}
