/** The hash of a resolved spec that a plan records (a saved plan's spec must match it). Pure. */
import { createHash } from 'node:crypto';
import type { Spec } from '../spec/types.ts';

export function specHash(spec: Spec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}
