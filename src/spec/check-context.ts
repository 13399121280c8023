/**
 * What the checks of the resolved spec look at: every host resolved, every VM both as written (with
 * defaults merged, list indexes kept for positions) and resolved, and where an inherited setting is
 * written (the entity's own key or the one in `defaults`).
 */
import { mergeVm } from './defaults-merge.ts';
import type { RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import type { HostSpec, Spec, VmSpec } from './types.ts';

export interface CheckVm {
  name: string;
  /** As written, defaults merged: disks and netdevs keep their indexes (pruned items are undefined). */
  raw: RawVm;
  spec: VmSpec;
}

export interface CheckContext {
  raw: RawSpec;
  hosts: Readonly<Record<string, HostSpec>>;
  vms: CheckVm[];
}

export function checkContext(raw: RawSpec, spec: Spec): CheckContext {
  const vms: CheckVm[] = [];
  for (const vmSpec of spec.vms) {
    const own = raw.vms?.[vmSpec.name];
    if (own) vms.push({ name: vmSpec.name, raw: mergeVm(own, raw.defaults), spec: vmSpec });
  }
  return { raw, hosts: spec.hosts, vms };
}

/** The first of `paths` the user wrote, else undefined (a built-in default). */
export function writtenAt(r: Reporter, ...paths: SpecPath[]): SpecPath | undefined {
  return paths.find((p) => r.written(p));
}

/** Where host `name`'s setting `field` is written: its own key, or defaults.host's. */
export function hostSetting(r: Reporter, name: string, field: SpecPath): SpecPath | undefined {
  return writtenAt(r, ['hosts', name, ...field], ['defaults', 'host', ...field]);
}

/** Where VM `name`'s setting is written: `field` of the VM, or `defaultsField` under defaults. */
export function vmSetting(r: Reporter, name: string, field: SpecPath, defaultsField = field): SpecPath | undefined {
  return writtenAt(r, ['vms', name, ...field], ['defaults', ...defaultsField]);
}

/** Hosts colo knows to be the same machine: both local, or the same sshd (address and port). */
export function machineOf(host: HostSpec): string {
  return host.local || !host.ssh ? 'local' : `ssh ${host.ssh.address}:${host.ssh.port}`;
}

/** The VMs' host pairs, both hosts present. */
export function hostPairs(ctx: CheckContext): { vm: CheckVm; primary: HostSpec; secondary: HostSpec }[] {
  const out: { vm: CheckVm; primary: HostSpec; secondary: HostSpec }[] = [];
  for (const vm of ctx.vms) {
    const primary = ctx.hosts[vm.spec.primary];
    const secondary = ctx.hosts[vm.spec.secondary];
    if (primary && secondary && primary !== secondary) out.push({ vm, primary, secondary });
  }
  return out;
}
