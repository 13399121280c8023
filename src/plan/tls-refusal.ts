/**
 * A TLS pair that cannot work on what observation found: a QEMU built without GnuTLS, or credentials
 * files that are missing or unreadable in a host's tls.dir. The pair is blocked with the reason
 * (colo starts no QEMU that would fail on its -object tls-creds-x509); private keys that others can
 * read are a warning. Pure.
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { Observation } from './observed.ts';
import type { BlockedPair } from './plan-model.ts';
import type { Roles } from './roles.ts';
import { TLS_CRED_FILES, TLS_KEY_FILES } from '../render/tls.ts';

export interface TlsFindings {
  blocked?: BlockedPair;
  warnings: string[];
}

export function tlsFindings(spec: Spec, vm: VmSpec, roles: Roles, observation: Observation): TlsFindings {
  const out: TlsFindings = { warnings: [] };
  if (!vm.tls) return out;
  const reasons: string[] = [];
  for (const name of [roles.primary, roles.secondary]) {
    const h = observation.hosts[name];
    const dir = spec.hosts[name]?.tls?.dir ?? '(none)';
    if (!h?.reachable || h.qemuError) continue; // reported as such elsewhere
    if (h.gnutls === false)
      reasons.push(
        `the QEMU on ${name} (${spec.hosts[name]?.qemu.binary}) was built without GnuTLS (its -object help lists ` +
          `no tls-cipher-suites), so it cannot load tls-creds-x509`,
      );
    const files = h.tlsFiles ?? [];
    const missing = TLS_CRED_FILES.filter((f) => !files.some((x) => x.name === f && x.readable));
    if (missing.length > 0) reasons.push(`${dir} on ${name} lacks (or cannot read) ${missing.join(', ')}`);
    for (const f of files) {
      const mode = f.mode === undefined ? 0 : parseInt(f.mode, 8);
      if ((TLS_KEY_FILES as readonly string[]).includes(f.name) && (mode & 0o077) !== 0)
        out.warnings.push(
          `${vm.name}: ${dir}/${f.name} on ${name} is readable by others (mode ${f.mode}); chmod 600 it`,
        );
    }
  }
  if (reasons.length > 0)
    out.blocked = {
      vm: vm.name,
      reason: `${vm.name} uses TLS, which cannot work here: ${reasons.join('; ')}`,
      hint:
        `use a QEMU built with GnuTLS and put the credentials in place (colo tls init makes them), or set ` +
        `vms.${vm.name}.tls.enabled: false`,
    };
  return out;
}
