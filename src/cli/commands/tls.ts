/**
 * `colo tls init --dir D [HOST[=ADDRESS]...]`: a private CA and per-host x509 credentials for the
 * replication channels (src/lab/tls-init.ts). Hosts named alone are looked up in the spec (their
 * replicationAddress); NAME=ADDRESS needs no spec. No host named: every host of the spec.
 */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { tlsInit, type TlsInitHost } from '../../lab/tls-init.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { processOutput } from '../output.ts';
import { tlsInitHuman, tlsInitJson } from '../../ui/views/tls/tls-init-view.ts';
import { UserError } from '../user-error.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const ADDRESS = /^[A-Za-z0-9._:-]+$/;

async function hostsFor(args: string[], file: string): Promise<TlsInitHost[]> {
  const explicit = args.map((a) => {
    const [name, address] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, ''];
    if (!NAME.test(name))
      throw new UserError(`host "${name}": not a host name (a letter, then letters, digits, - or _)`);
    if (address !== '' && !ADDRESS.test(address))
      throw new UserError(`host ${name}: "${address}" is not a host name or IP address`);
    return { name, address };
  });
  if (explicit.length > 0 && explicit.every((h) => h.address !== '')) return explicit;
  const spec = await loadSpecOrFail(file);
  if (explicit.length === 0)
    return Object.values(spec.hosts).map((h) => ({ name: h.name, address: h.replicationAddress }));
  return explicit.map((h) => {
    if (h.address !== '') return h;
    const host = spec.hosts[h.name];
    if (!host) throw new UserError(`host ${h.name} is not in ${file} (hosts: ${Object.keys(spec.hosts).join(', ')})`);
    return { name: h.name, address: host.replicationAddress };
  });
}

export function registerTls(program: Command, wire: Wire): void {
  const tls = program.command('tls').description('TLS credentials for the replication channels');
  tls
    .command('init')
    .description('make a private CA and per-host certificates (for a lab or a first try)')
    .argument('[hosts...]', 'hosts of the spec, or NAME=ADDRESS (default: every host of the spec)')
    .requiredOption('--dir <path>', 'directory for ca/ and one directory per host')
    .option('-f, --file <path>', 'spec file (for the hosts and their replication addresses)', 'colo.yaml')
    .option('--days <n>', 'validity of the host certificates in days', '825')
    .option('--json', 'print the result as JSON')
    .action(
      wire(async (args: string[], opts: { dir: string; file: string; days: string; json?: boolean }) => {
        const days = Number(opts.days);
        if (!Number.isInteger(days) || days < 1 || days > 36500)
          throw new UserError(`--days: expected a whole number of days from 1 to 36500, got "${opts.days}"`);
        const hosts = await hostsFor(args, opts.file);
        if (hosts.length === 0) throw new UserError(`${opts.file} declares no hosts`);
        let result;
        try {
          result = await tlsInit({ dir: opts.dir, hosts, days });
        } catch (e) {
          throw new UserError(`colo tls init: ${(e as Error).message}`);
        }
        (opts.json ? tlsInitJson : tlsInitHuman)(processOutput).made(result);
        return 0;
      }),
    );
}
