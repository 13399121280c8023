/** Guest MAC addresses: normalisation, validity, and stable derivation when the spec gives none. */
import { createHash } from 'node:crypto';

/** QEMU's conventional prefix: locally administered (bit 1 of the first byte), unicast (bit 0 clear). */
const DERIVED_PREFIX = '52:54:00';

export function normalizeMac(mac: string): string {
  return mac.toLowerCase();
}

export function isMulticastMac(mac: string): boolean {
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

export function isZeroMac(mac: string): boolean {
  return /^(00:){5}00$/.test(mac);
}

/**
 * A stable MAC for a VM's netdev: 52:54:00 followed by three bytes of SHA-256 over the VM name and
 * netdev id. `attempt` > 0 picks another address when the first one is taken.
 */
export function deriveMac(vmName: string, netdevId: string, attempt = 0): string {
  const input = attempt === 0 ? `${vmName}/${netdevId}` : `${vmName}/${netdevId}#${attempt}`;
  const digest = createHash('sha256').update(input).digest();
  const tail = [digest[0], digest[1], digest[2]].map((b) => (b ?? 0).toString(16).padStart(2, '0'));
  return `${DERIVED_PREFIX}:${tail.join(':')}`;
}
