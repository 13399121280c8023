/**
 * TLS on a pair's replication channels, as data for the argv and the QMP recipes. Pure.
 *
 * Every QEMU of a TLS pair gets two tls-creds-x509 objects on its command line, both on the host's
 * credentials directory: `colo-tls-server` (endpoint server: the secondary's migration listener and
 * NBD server, the primary's mirror and compare chardev servers) and `colo-tls-client` (endpoint
 * client: the primary's migration, its NBD client nodes, the secondary's proxy chardev clients). A
 * QEMU needs both because a promoted secondary becomes a primary. Both verify the peer: the server
 * asks for a client certificate, and a client checks the server's certificate against the address it
 * connects to (the replicationAddress, a subjectAltName of the certificate).
 */
import type { HostSpec, VmSpec } from '../spec/types.ts';
import { opts } from './qemu-syntax.ts';

export const TLS_CREDS_IDS = { server: 'colo-tls-server', client: 'colo-tls-client' } as const;

export type TlsEndpoint = keyof typeof TLS_CREDS_IDS;

/** The files tls-creds-x509 reads from the directory (both endpoints). */
export const TLS_CRED_FILES = [
  'ca-cert.pem',
  'server-cert.pem',
  'server-key.pem',
  'client-cert.pem',
  'client-key.pem',
] as const;

/** The private keys among TLS_CRED_FILES. */
export const TLS_KEY_FILES = ['server-key.pem', 'client-key.pem'] as const;

/** The replication channels, as status and verify name them. */
export type ReplicationChannel = 'migration' | 'nbd' | 'proxy';

/** The host's credentials directory for a TLS pair; throws when the spec check let a pair through without one. */
export function tlsDir(host: HostSpec, vm: VmSpec): string {
  if (!host.tls) throw new Error(`vm ${vm.name} uses TLS but host ${host.name} has no tls.dir`);
  return host.tls.dir;
}

/** The two -object tls-creds-x509 arguments of a QEMU of a TLS pair on `host`; none for a plain pair. */
export function tlsCredsArgs(host: HostSpec, vm: VmSpec): string[] {
  if (!vm.tls) return [];
  const dir = tlsDir(host, vm);
  return (['server', 'client'] as const).flatMap((endpoint) => [
    '-object',
    opts('tls-creds-x509', [
      ['id', TLS_CREDS_IDS[endpoint]],
      ['endpoint', endpoint],
      ['dir', dir],
      ['verify-peer', 'on'],
    ]),
  ]);
}

/** `tls-creds=<id>` for a socket chardev or the migration object, or nothing for a plain pair. */
export function tlsOpt(vm: VmSpec, endpoint: TlsEndpoint): [string, string][] {
  return vm.tls ? [['tls-creds', TLS_CREDS_IDS[endpoint]]] : [];
}

/** `{ "tls-creds": id }` to spread into a QMP argument object, or `{}` for a plain pair. */
export function tlsArg(vm: VmSpec, endpoint: TlsEndpoint): { 'tls-creds'?: string } {
  return vm.tls ? { 'tls-creds': TLS_CREDS_IDS[endpoint] } : {};
}

/** The secondary's migration listener takes TLS from its first moment: `-global migration.tls-creds=...`. */
export function incomingTlsArgs(vm: VmSpec): string[] {
  return vm.tls ? ['-global', `migration.tls-creds=${TLS_CREDS_IDS.server}`] : [];
}
