/** Reading what a recipe run kept: disk sizes from query-block, the guest's pause from two events. Pure. */
import type { VmSpec } from '../spec/types.ts';
import { diskSizeRef } from '../render/recipes/images.ts';
import { resolve, type Facts } from '../render/recipes/evaluate.ts';

/** The virtual size of each disk (bytes, in disk order) read by the disk-sizes recipe. */
export function diskSizesFromFacts(vm: VmSpec, facts: Facts): number[] {
  return vm.disks.map((d) => Number(resolve(facts, diskSizeRef(d))));
}

interface TimedEvent {
  timestamp?: { seconds: number; microseconds: number };
}

/** The pause the guest saw between STOP and RESUME, from QEMU's own clock (independent of network delays). */
export function switchoverPauseMs(stop: TimedEvent | undefined, resume: TimedEvent | undefined): number | undefined {
  const ts = (e: TimedEvent | undefined) =>
    e?.timestamp ? e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 : NaN;
  const ms = Math.round(ts(resume) - ts(stop));
  return Number.isFinite(ms) ? ms : undefined;
}
