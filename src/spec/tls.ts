/**
 * TLS in the spec: which pairs use it (a VM's own tls.enabled, else the top-level tls block: on when
 * present) and where each host keeps its credentials (the host's tls.dir, else the top-level one).
 * A TLS pair whose host has no directory is an error at the place that turned TLS on.
 */
import type { RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import type { HostTls } from './types.ts';

/** Whether a VM pair uses TLS, as written (defaults: the top-level block's `enabled`, true when present). */
export function vmUsesTls(raw: RawSpec, vm: RawVm): boolean {
  if (vm.tls?.enabled !== undefined) return vm.tls.enabled;
  if (raw.tls === undefined) return false;
  return raw.tls.enabled ?? true;
}

/** A host's credentials directory: its own tls.dir, else the top-level tls.dir; undefined when neither. */
export function hostTls(raw: RawSpec, hostName: string): HostTls | undefined {
  const dir = raw.hosts?.[hostName]?.tls?.dir ?? raw.tls?.dir;
  return dir === undefined ? undefined : { dir };
}

/** Every TLS pair's two hosts have a credentials directory; reported where TLS was turned on. */
export function checkTls(raw: RawSpec, r: Reporter): void {
  for (const [name, vm] of Object.entries(raw.vms ?? {})) {
    if (!vm || !vmUsesTls(raw, vm)) continue;
    const at: SpecPath = vm.tls?.enabled === true ? ['vms', name, 'tls', 'enabled'] : ['tls'];
    for (const role of ['primary', 'secondary'] as const) {
      const host = vm[role];
      if (host === undefined || raw.hosts?.[host] === undefined || hostTls(raw, host) !== undefined) continue;
      r.error(
        at,
        `vms.${name} uses TLS but its ${role} host ${host} has no credentials directory: set hosts.${host}.tls.dir ` +
          `or tls.dir (colo tls init makes one per host)`,
        at.length === 1 ? 'key' : 'value',
      );
    }
  }
}
