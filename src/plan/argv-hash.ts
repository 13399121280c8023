/**
 * The hash of a QEMU argv that the state records for each QEMU colo starts. A running QEMU whose
 * argv hashes the same was started by colo as it runs now: a difference from the spec is then a
 * spec change, not drift. Pure.
 */
import { createHash } from 'node:crypto';

export function argvHash(argv: string[]): string {
  return createHash('sha256').update(argv.join('\u0000')).digest('hex').slice(0, 16);
}
