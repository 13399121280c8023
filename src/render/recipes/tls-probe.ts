/**
 * `colo verify`'s proof that the secondary's NBD server refuses a client without TLS: on the primary's
 * host (where the real NBD client runs), qemu-img opens the first disk's export as a plain NBD client.
 * A TLS-only server answers "TLS negotiation required" (QEMU's nbd/client.c); a plain one lets it in
 * (qemu-img only reads the export's size). Pure.
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import { diskIds } from '../ids.ts';
import { hostOf } from '../paths.ts';
import type { Placement } from '../placement.ts';
import { opts } from '../qemu-syntax.ts';
import type { ScriptRecipe } from './types.ts';

/** What qemu-img prints when the server demands TLS (nbd/client.c, QEMU 2.x to 10.x). */
export const NBD_TLS_REQUIRED = /TLS negotiation required|not permitted before TLS/;

export function renderNbdPlainProbe(spec: Spec, vm: VmSpec, placement: Placement): ScriptRecipe | undefined {
  const disk = vm.disks[0];
  if (!disk) return undefined;
  const secondary = hostOf(spec, placement.secondary);
  const image = opts('driver=nbd', [
    ['server.type', 'inet'],
    ['server.host', secondary.replicationAddress],
    ['server.port', String(vm.ports.nbd)],
    ['export', diskIds(disk).exportName],
  ]);
  return {
    kind: 'script',
    name: 'nbd-plain-probe',
    summary: "a plain NBD client (no TLS) to the secondary's export: a TLS pair's server must refuse it",
    host: placement.primary,
    body: { kind: 'exec', argv: [hostOf(spec, placement.primary).qemu.img, 'info', '--image-opts', image] },
    timeoutMs: 15_000,
    outcome: { kind: 'output' },
  };
}
