/**
 * How QEMU is confined on its host: its seccomp filter (-sandbox) and the user it switches to once set
 * up (-runas / -run-with user=). Pure.
 *
 * The filter denies obsolete system calls and scheduler/resource control. It cannot deny privilege
 * changes (elevateprivileges) or process creation (spawn): QEMU installs the filter before it
 * daemonizes, and -daemonize forks and calls setsid() (QEMU 7.2 is killed with SIGSYS, or exits 1,
 * with either denied); -runas needs setuid too, and a bridge helper or tap script is a new process.
 */
import type { HostSpec } from '../spec/types.ts';
import type { Dialect } from './dialect.ts';
import { optValue, opts } from './qemu-syntax.ts';

/** The -sandbox value every colo QEMU runs with (unless the host sets qemu.sandbox: false). */
export const SANDBOX_OPTION = opts('on', [
  ['obsolete', 'deny'],
  ['resourcecontrol', 'deny'],
]);

/** -sandbox (unless the host turns it off) and the user QEMU switches to (runAs), in the dialect's option. */
export function confinementArgs(host: HostSpec, o: { dialect: Dialect }): string[] {
  const argv: string[] = [];
  if (host.qemu.sandbox) argv.push('-sandbox', SANDBOX_OPTION);
  const user = host.qemu.runAs;
  if (user !== undefined)
    argv.push(...(o.dialect.runAsOption === 'run-with' ? ['-run-with', `user=${optValue(user)}`] : ['-runas', user]));
  return argv;
}
