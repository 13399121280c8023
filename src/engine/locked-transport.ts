/**
 * A host's transport while the command holds host locks: every call first makes sure the command
 * still holds the host's lock (src/engine/host-lock.ts), taking it again after a dropped connection.
 */
import type { Duplex } from 'node:stream';
import type { HoldOutcome, RunOptions, RunResult, Transport } from '../transport/types.ts';
import type { HostLocks } from './host-lock.ts';

export class LockedTransport implements Transport {
  readonly host: string;

  constructor(
    private readonly inner: Transport,
    private readonly locks: HostLocks,
  ) {
    this.host = inner.host;
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.locks.ensure(this.host);
    return fn();
  }

  run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    return this.locked(() => this.inner.run(argv, opts));
  }

  check(argv: string[], opts?: RunOptions): Promise<string> {
    return this.locked(() => this.inner.check(argv, opts));
  }

  readFile(path: string, opts?: { timeoutMs?: number }): Promise<Buffer> {
    return this.locked(() => this.inner.readFile(path, opts));
  }

  writeFile(path: string, data: string | Buffer, opts?: { mode?: number; timeoutMs?: number }): Promise<void> {
    return this.locked(() => this.inner.writeFile(path, data, opts));
  }

  openUnixSocket(path: string, opts?: { timeoutMs?: number }): Promise<Duplex> {
    return this.locked(() => this.inner.openUnixSocket(path, opts));
  }

  hold(argv: string[], opts: { readyLine: string; timeoutMs?: number }): Promise<HoldOutcome> {
    return this.locked(() => this.inner.hold(argv, opts));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
