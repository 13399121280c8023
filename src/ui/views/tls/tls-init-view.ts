/**
 * `colo tls init`: what was made, where, and what to do next; or with --json one document. Only paths,
 * subjectAltNames and certificate fingerprints: never a key.
 */
import type { TlsInitResult } from '../../../lab/tls-init.ts';
import type { Output } from '../output.ts';

export interface TlsInitView {
  made(result: TlsInitResult): void;
}

export function tlsInitHuman(output: Output): TlsInitView {
  return {
    made: (r) => {
      const lines = [
        `${r.caReused ? 'Reused the CA in' : 'Made a private CA in'} ${r.caDir} (its key ca-key.pem stays here: ` +
          `keep it off the hosts)`,
        ...r.hosts.flatMap((h) => [
          `  ${h.name}: ${h.dir} (${h.subjectAltName})`,
          ...Object.entries(h.fingerprints).map(([f, fp]) => `    ${f} SHA256 ${fp}`),
        ]),
        '',
        'Next: copy each host directory to its host (mode 0700, keys 0600, readable by the user QEMU runs as) and',
        'name it in the spec, e.g. hosts.<name>.tls.dir, or tls.dir when every host keeps it at the same path.',
      ];
      output.out(`${lines.join('\n')}\n`);
    },
  };
}

export function tlsInitJson(output: Output): TlsInitView {
  return { made: (r) => output.out(`${JSON.stringify(r)}\n`) };
}
