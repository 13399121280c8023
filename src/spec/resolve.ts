/**
 * Raw (validated, pruned) spec -> resolved `Spec`: defaults inherited, colo's own defaults filled in,
 * sizes and durations normalised, MACs derived, ports allocated. Cross-entity problems found on the
 * way (duplicate MACs, port clashes, socket paths too long) are reported, positioned.
 * Tolerates partial input (after other errors) so every problem is reported in one run.
 */
import { assignMacs } from './assign-macs.ts';
import { checkSocketPaths } from './check-socket-paths.ts';
import { mergeHost, mergeVm } from './defaults-merge.ts';
import { allocatePorts } from './port-allocation.ts';
import { portRequest } from './port-request.ts';
import type { RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import { resolveHost } from './resolve-host.ts';
import type { ResolveOptions } from './resolve-host.ts';
import { resolveVm } from './resolve-vm.ts';
import { hostTls, vmUsesTls } from './tls.ts';
import type { HostSpec, Spec, VmSpec } from './types.ts';

export type { ResolveOptions } from './resolve-host.ts';

export function resolveSpec(raw: RawSpec, absoluteFile: string, r: Reporter, opts: ResolveOptions): Spec {
  const hosts: Record<string, HostSpec> = {};
  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    if (!host) continue;
    hosts[name] = resolveHost(name, mergeHost(host, raw.defaults?.host), opts);
    const tls = hostTls(raw, name);
    if (tls) hosts[name].tls = tls;
  }

  const vmEntries = Object.entries(raw.vms ?? {}).filter((e): e is [string, RawVm] => e[1] !== undefined);
  const merged = vmEntries.map(([name, vm]) => ({ name, vm: mergeVm(vm, raw.defaults) }));
  const macs = assignMacs(merged, r);
  const ports = allocatePorts(
    merged.map(({ name, vm }) => portRequest(name, vm, hosts, raw)),
    r,
  );

  const vms: VmSpec[] = merged.map(({ name, vm }) => {
    const spec = resolveVm(name, vm, macs, ports.get(name));
    if (vmUsesTls(raw, vm)) spec.tls = true;
    checkSocketPaths(spec, hosts, r);
    return spec;
  });

  return { file: absoluteFile, hosts, vms };
}
