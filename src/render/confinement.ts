/**
 * How QEMU is confined on its host: its seccomp filter (-sandbox) and the user it switches to once set
 * up (-runas / -run-with user=). Pure.
 */
import type { HostSpec, VmSpec } from '../spec/types.ts';
import type { Dialect } from './dialect.ts';
import { optValue, opts } from './qemu-syntax.ts';

/**
 * QEMU's seccomp filter (-sandbox): obsolete system calls, privilege changes and scheduler/resource
 * changes denied, and process creation too unless a NIC needs QEMU to run a program (the bridge
 * helper, a tap script). With `runAs`, QEMU changes its user itself: privilege changes stay allowed
 * for that (QEMU drops them after setting up, before the guest runs).
 */
export function sandboxOption(host: HostSpec, vm: VmSpec): string {
  const spawns = vm.netdevs.some(
    (n) => n.backend.kind === 'bridge' || (n.backend.kind === 'tap' && (n.backend.script ?? n.backend.downscript)),
  );
  return opts('on', [
    ['obsolete', 'deny'],
    ['elevateprivileges', host.qemu.runAs !== undefined ? 'allow' : 'deny'],
    ['spawn', spawns ? 'allow' : 'deny'],
    ['resourcecontrol', 'deny'],
  ]);
}

/** -sandbox (unless the host turns it off) and the user QEMU switches to (runAs), in the dialect's option. */
export function confinementArgs(host: HostSpec, vm: VmSpec, o: { dialect: Dialect }): string[] {
  const argv: string[] = [];
  if (host.qemu.sandbox) argv.push('-sandbox', sandboxOption(host, vm));
  const user = host.qemu.runAs;
  if (user !== undefined)
    argv.push(...(o.dialect.runAsOption === 'run-with' ? ['-run-with', `user=${optValue(user)}`] : ['-runas', user]));
  return argv;
}
