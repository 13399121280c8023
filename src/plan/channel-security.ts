/**
 * Which replication channels of a pair are encrypted, read from what observation found (pure):
 * - migration (with the COLO checkpoints on it): the `tls-creds` migration parameter of both QEMUs;
 * - proxy (the mirror and compare sockets): the secondary's own command line, whose chardev clients
 *   to the primary carry `tls-creds` or not (a TLS client cannot talk to a plain server, nor the
 *   other way round, so a connected link is what the secondary's side says);
 * - nbd: the secondary's command line has the server credentials colo's nbd-server-start names
 *   (QEMU 7.2 reports no TLS state of an NBD server or client: `colo verify` also connects a plain
 *   NBD client and expects the refusal).
 */
import type { VmSpec } from '../spec/types.ts';
import type { ObservedQemu } from './observed.ts';
import { nicIds } from '../render/ids.ts';
import { TLS_CREDS_IDS, type ReplicationChannel } from '../render/tls.ts';

export type ChannelMode = 'tls' | 'plain' | 'unknown';

export interface ChannelSecurity {
  channel: ReplicationChannel;
  mode: ChannelMode;
  detail: string;
}

function migration(pq: ObservedQemu | undefined, sq: ObservedQemu | undefined): ChannelSecurity {
  const creds = (q: ObservedQemu | undefined) => q?.migrateParams?.['tls-creds'];
  const [p, s] = [creds(pq), creds(sq)];
  if (typeof p !== 'string' || typeof s !== 'string')
    return { channel: 'migration', mode: 'unknown', detail: 'migration parameters not observed on both sides' };
  if (p !== '' && s !== '')
    return { channel: 'migration', mode: 'tls', detail: `tls-creds ${p} (primary), ${s} (secondary)` };
  return {
    channel: 'migration',
    mode: 'plain',
    detail:
      p === '' && s === '' ? 'no tls-creds on either side' : `tls-creds only on the ${p ? 'primary' : 'secondary'}`,
  };
}

/** The value of each `-chardev` argument, by its id. */
function chardevs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  argv.forEach((a, i) => {
    const v = argv[i + 1];
    if (a !== '-chardev' || v === undefined) return;
    const id = /(?:^|,)id=([^,]+)/.exec(v)?.[1];
    if (id) out.set(id, v);
  });
  return out;
}

function proxy(vm: VmSpec, sq: ObservedQemu | undefined): ChannelSecurity | undefined {
  if (vm.netdevs.length === 0) return undefined;
  if (!sq?.argv) return { channel: 'proxy', mode: 'unknown', detail: "the secondary's command line was not observed" };
  const devs = chardevs(sq.argv);
  const ids = vm.netdevs.flatMap((n) => [nicIds(n).secMirror, nicIds(n).secCompare]);
  const tls = ids.filter((id) => /(?:^|,)tls-creds=/.test(devs.get(id) ?? ''));
  if (tls.length === ids.length)
    return { channel: 'proxy', mode: 'tls', detail: `mirror and compare sockets: ${ids.join(', ')} with tls-creds` };
  return {
    channel: 'proxy',
    mode: 'plain',
    detail: tls.length === 0 ? 'mirror and compare sockets without tls-creds' : `only ${tls.join(', ')} with tls-creds`,
  };
}

function nbd(vm: VmSpec, sq: ObservedQemu | undefined): ChannelSecurity | undefined {
  if (vm.disks.length === 0) return undefined;
  if (!sq?.argv) return { channel: 'nbd', mode: 'unknown', detail: "the secondary's command line was not observed" };
  const server = sq.argv.some((a) => a.startsWith('tls-creds-x509,') && a.includes(`id=${TLS_CREDS_IDS.server}`));
  return server
    ? { channel: 'nbd', mode: 'tls', detail: `the secondary serves NBD with ${TLS_CREDS_IDS.server}` }
    : { channel: 'nbd', mode: 'plain', detail: 'the secondary has no TLS credentials for its NBD server' };
}

export function channelSecurity(
  vm: VmSpec,
  pq: ObservedQemu | undefined,
  sq: ObservedQemu | undefined,
): ChannelSecurity[] {
  return [migration(pq, sq), nbd(vm, sq), proxy(vm, sq)].filter((c): c is ChannelSecurity => c !== undefined);
}
