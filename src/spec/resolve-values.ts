/** Small helpers shared by the resolution steps (src/spec/resolve.ts). */
import type { RawNetdev, RawVm } from './raw-spec.ts';

/** A parsed value, or the fallback where parsing failed (already reported by the unit checks). */
export function valueOr(parsed: { ok: true; value: number } | { ok: false }, fallback: number): number {
  return parsed.ok ? parsed.value : fallback;
}

/** The strings of a list whose bad items were pruned (undefined). */
export function strings(list: readonly (string | undefined)[] | undefined): string[] {
  return (list ?? []).filter((s): s is string => s !== undefined);
}

/** The netdevs of a VM that survived pruning, with their id (defaulted `net<i>`) and index. */
export function presentNetdevs(vm: RawVm): { netdev: RawNetdev; id: string; index: number }[] {
  const out: { netdev: RawNetdev; id: string; index: number }[] = [];
  (vm.netdevs ?? []).forEach((n, index) => {
    if (n) out.push({ netdev: n, id: n.id ?? `net${index}`, index });
  });
  return out;
}
