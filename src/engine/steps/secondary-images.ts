/**
 * The secondary's images: an empty base of the primary disk's virtual size (filled by the NBD
 * mirror) and fresh active/hidden overlays. The size is read from the running primary over QMP.
 */
import { renderImagePrep } from '../../render/image-prep.ts';
import { diskIds } from '../../render/ids.ts';
import { vmPaths } from '../../render/paths.ts';
import type { StepContext } from './run-step.ts';
import { placementOf, stepVm } from './step-helpers.ts';
import { runBatch } from './run-batch.ts';

interface BlockInfo {
  device?: string;
  qdev?: string;
  inserted?: { 'node-name'?: string; image?: { 'virtual-size'?: number } };
}

export async function secondaryImages(ctx: StepContext): Promise<string | undefined> {
  const vm = stepVm(ctx);
  const p = placementOf(ctx, vm);
  const sizes: Record<string, number> = {};
  const qmp = await ctx.session.qmp(p.primary, vm.name);
  const blocks = await qmp.execute<BlockInfo[]>('query-block');
  for (const d of vm.disks) {
    const b = blocks.find((x) => x.device === diskIds(d).quorum);
    const size = b?.inserted?.image?.['virtual-size'];
    if (typeof size !== 'number')
      throw new Error(
        `cannot read the virtual size of disk ${d.id} (${diskIds(d).quorum}) from the primary on ${p.primary}`,
      );
    if (d.sizeBytes !== undefined && d.sizeBytes !== size) {
      throw new Error(`disk ${d.id}: the spec says ${d.sizeBytes} bytes but the primary's image is ${size} bytes`);
    }
    sizes[d.id] = size;
  }
  const t = ctx.session.transport(p.secondary);
  await runBatch(t, renderImagePrep(ctx.spec, vm, p.secondary, sizes), { timeoutMs: 120_000 });
  const files = vmPaths(ctx.spec, vm, p.secondary).disks.flatMap((d) => [d.base, d.hidden, d.active]);
  await ctx.updateVm(vm.name, (prev) => {
    if (!prev) return prev;
    const have = new Set(prev.created[p.secondary] ?? []);
    for (const f of files) have.add(f);
    return { ...prev, created: { ...prev.created, [p.secondary]: [...have] } };
  });
  return `${vm.disks.length} disk${vm.disks.length === 1 ? '' : 's'}, ${Object.values(sizes)
    .map((s) => `${Math.round(s / 1048576)} MiB`)
    .join(', ')}`;
}
