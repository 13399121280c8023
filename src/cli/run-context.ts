/**
 * What every host-touching command shares: the spec, the state path, a Session whose transports
 * verify host keys, and clean shutdown (also on Ctrl-C).
 */
import path from 'node:path';
import type { Spec } from '../spec/types.ts';
import { Session } from '../engine/session.ts';
import { createTransports } from '../transport/factory.ts';
import { installTransportCleanup } from '../transport/ssh-pool.ts';

export interface HostOptions {
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
}

export function defaultStatePath(specFile: string): string {
  return path.join(path.dirname(path.resolve(specFile)), '.colo', 'state.json');
}

export function statePathFor(opts: { state?: string; file: string }): string {
  return opts.state ? path.resolve(opts.state) : defaultStatePath(opts.file);
}

export function openSession(spec: Spec, opts: HostOptions): { session: Session; close: () => Promise<void> } {
  const transports = createTransports(spec.hosts, {
    ...(opts.knownHosts ? { knownHostsFile: opts.knownHosts } : {}),
    acceptNewHostKeys: !!opts.acceptNewHostKeys,
    onHostKey: (host, verdict) => {
      if (verdict.accepted === 'new')
        process.stderr.write(
          `colo: recorded the new host key of ${host} (${verdict.fingerprint}) in ${verdict.file}\n`,
        );
    },
  });
  const uninstall = installTransportCleanup();
  const session = new Session(spec, (h) => transports.get(h));
  return {
    session,
    close: async () => {
      await session.close();
      await transports.close();
      uninstall();
    },
  };
}
