/**
 * The secondary's images: an empty base of the primary disk's virtual size (filled by the NBD
 * mirror) and fresh active/hidden overlays. The size is read from the running primary over QMP
 * (query-block) and reaches the image preparation as a value of that reply.
 */
import type { Spec, VmSpec } from '../../spec/types.ts';
import { diskIds } from '../ids.ts';
import { renderImagePrepCommands } from '../image-prep.ts';
import { vmPaths } from '../paths.ts';
import type { Placement } from '../placement.ts';
import { cmd, eq, not, query, ref, where } from './build.ts';
import type { Check, QmpRecipe, Ref, ScriptRecipe } from './types.ts';

/** Where query-block on the primary holds a disk's virtual size. */
export function diskSizeRef(disk: VmSpec['disks'][number]): Ref {
  return ref('blocks', where('device', diskIds(disk).quorum), 'inserted', 'image', 'virtual-size');
}

export function renderDiskSizes(vm: VmSpec, p: Placement): QmpRecipe {
  const fail: Check[] = vm.disks.flatMap((d): Check[] => {
    const size = diskSizeRef(d);
    const unreadable: Check = {
      when: not({ at: size, type: 'number' }),
      message: [`cannot read the virtual size of disk ${d.id} (${diskIds(d).quorum}) from the primary on ${p.primary}`],
    };
    if (d.sizeBytes === undefined) return [unreadable];
    const differs: Check = {
      when: not(eq(size, d.sizeBytes)),
      message: [
        `disk ${d.id}: the spec says ${d.sizeBytes} bytes but the primary's image is `,
        { value: size },
        ' bytes',
      ],
    };
    return [unreadable, differs];
  });
  return {
    kind: 'qmp',
    name: 'disk-sizes',
    summary: "the virtual size of each disk, read from the running primary (the secondary's images get it)",
    vm: vm.name,
    role: 'primary',
    hosts: { primary: p.primary },
    ops: [{ op: 'check', queries: [query('blocks', cmd('query-block'))], fail }],
  };
}

/** The image preparation on the secondary, sized by the facts of renderDiskSizes. */
export function renderSecondaryImagePrep(spec: Spec, vm: VmSpec, p: Placement): ScriptRecipe {
  const commands = renderImagePrepCommands(spec, vm, p.secondary, (d) => ({
    fact: diskSizeRef(d),
    what: `the virtual size of disk ${d.id} on the primary`,
  }));
  return {
    kind: 'script',
    name: 'secondary-images',
    summary: 'fresh qcow2 base, hidden and active images per disk (qemu-img create overwrites)',
    host: p.secondary,
    body: { kind: 'batch', commands },
    timeoutMs: 120_000,
    outcome: { kind: 'exit-zero' },
  };
}

/** The files that preparation creates, recorded in the state (files-delete removes them). */
export function secondaryImageFiles(spec: Spec, vm: VmSpec, host: string): string[] {
  return vmPaths(spec, vm, host).disks.flatMap((d) => [d.base, d.hidden, d.active]);
}
