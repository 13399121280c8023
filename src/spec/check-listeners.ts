/**
 * Where each host's QEMU listeners bind: the NBD export, the incoming migration and the COLO proxy's
 * mirror and compare sockets all listen on the host's replicationAddress, in plain TCP. "Any address"
 * (0.0.0.0, ::) would expose them on every network of the host, and is refused. (Listeners on the SSH
 * address are warned about by plan and validate: src/plan/listener-warnings.ts.)
 */
import type { RawSpec } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import { formatPath } from './spec-path.ts';

const UNSPECIFIED = /^(0+\.0+\.0+\.0+|[0:]*::[0:]*|0+)$/;

export function checkListeners(raw: RawSpec, r: Reporter): void {
  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    if (!host) continue;
    const at = ['hosts', name];
    const repl = host.replicationAddress;
    if (repl !== undefined && UNSPECIFIED.test(repl)) {
      r.error(
        [...at, 'replicationAddress'],
        `${formatPath([...at, 'replicationAddress'])}: ${repl} means every address of the host: QEMU's NBD, ` +
          `migration and COLO proxy listeners (plain TCP) would be reachable from every network it is on; ` +
          `write the host's address on the private replication network`,
      );
    }
  }
}
