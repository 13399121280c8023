/** Which QMP capabilities a client enables in its qmp_capabilities handshake. Pure. */
import type { QmpGreeting } from './types.ts';

/**
 * `oob` when the client asked for it and the greeting offers it (QEMU offers it when the monitor
 * runs in an I/O thread: a socket chardev, not stdio). Out-of-band commands then run in that thread
 * even while QEMU's main loop is stuck; only a connection negotiated before it got stuck has them,
 * because qmp_capabilities itself runs in the main loop.
 */
export function capabilitiesToEnable(greeting: QmpGreeting, wantOob: boolean): string[] {
  const offered: unknown = greeting.QMP.capabilities;
  return wantOob && Array.isArray(offered) && offered.includes('oob') ? ['oob'] : [];
}
