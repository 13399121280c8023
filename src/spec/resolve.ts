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
import type { SshdPort } from './port-allocation.ts';
import { portRequest } from './port-request.ts';
import type { RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import { resolveCluster } from './resolve-cluster.ts';
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
    sshdPorts(hosts, r),
  );

  const vms: VmSpec[] = merged.map(({ name, vm }) => {
    const spec = resolveVm(name, vm, macs, ports.get(name));
    if (vmUsesTls(raw, vm)) spec.tls = true;
    checkSocketPaths(spec, hosts, r);
    return spec;
  });

  const spec: Spec = { file: absoluteFile, hosts, vms };
  if (raw.cluster) spec.cluster = resolveCluster(raw.cluster, hosts, vms);
  return spec;
}

/** Each SSH host's sshd port, reserved on that host before any VM's ports. */
function sshdPorts(hosts: Record<string, HostSpec>, r: Reporter): SshdPort[] {
  return Object.values(hosts).flatMap((h) => {
    if (!h.ssh) return [];
    const path = [
      ['hosts', h.name, 'ssh', 'port'],
      ['defaults', 'host', 'ssh', 'port'],
    ].find((p) => r.written(p));
    return [{ host: h.name, port: h.ssh.port, address: h.ssh.address, ...(path ? { path } : {}) }];
  });
}
