/**
 * Explains why two QEMU command lines differ, in terms of spec fields, so a plan can say which field
 * forces a replacement ("machine.memory: 128 -> 256").
 */
import { argvItems } from '../render/argv-pairs.ts';
import type { AttributeChange } from './plan-model.ts';

const OPTION_FIELDS: Record<string, string> = {
  '-m': 'machine.memory',
  '-smp': 'machine.smp',
  '-cpu': 'machine.cpu',
  '-machine': 'machine.type/accel',
  '-accel': 'machine.accel',
  '-kernel': 'boot.kernel',
  '-initrd': 'boot.initrd',
  '-append': 'boot.append',
  '-drive': 'disks',
  '-blockdev': 'disks',
  '-netdev': 'netdevs',
  '-device': 'disks/netdevs',
  '-chardev': 'ports',
  '-incoming': 'ports.migration',
  '-L': 'hosts.qemu.firmware',
  '-object': 'netdevs (proxy objects)',
};

/** Splits argv (without argv[0]) into option/value pairs; a value-less option gets value '', a stray word option ''. */
export function argvPairs(argv: string[]): [string, string][] {
  return argvItems(argv).map((item): [string, string] =>
    item.length === 2 ? [item[0], item[1]] : item[0].startsWith('-') ? [item[0], ''] : ['', item[0]],
  );
}

export function describeArgvChanges(before: string[], after: string[]): AttributeChange[] {
  const changes: AttributeChange[] = [];
  if (before[0] !== after[0]) {
    changes.push({ path: 'hosts.qemu.binary', before: before[0], after: after[0], forcesReplacement: true });
  }
  const b = argvPairs(before);
  const a = argvPairs(after);
  const byOption = new Map<string, { before: string[]; after: string[] }>();
  const entry = (opt: string) => byOption.get(opt) ?? byOption.set(opt, { before: [], after: [] }).get(opt)!;
  for (const [opt, val] of multisetMinus(b, a)) entry(opt).before.push(val);
  for (const [opt, val] of multisetMinus(a, b)) entry(opt).after.push(val);
  for (const [opt, { before: bv, after: av }] of byOption) {
    const path = OPTION_FIELDS[opt] ?? `extraArgs (${opt || 'argument'})`;
    changes.push({
      path,
      before: oneOrMany(bv),
      after: oneOrMany(av),
      forcesReplacement: true,
    });
  }
  return changes;
}

/** No value, the one value, or all of them. */
function oneOrMany(values: string[]): string | string[] | undefined {
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
}

/** The pairs of `xs` that remain once each pair of `ys` has cancelled one equal pair of `xs` (in order). */
function multisetMinus(xs: [string, string][], ys: [string, string][]): [string, string][] {
  const key = (p: [string, string]) => `${p[0]}\u0000${p[1]}`;
  const left = new Map<string, number>();
  for (const p of ys) left.set(key(p), (left.get(key(p)) ?? 0) + 1);
  return xs.filter((p) => {
    const n = left.get(key(p)) ?? 0;
    if (n > 0) left.set(key(p), n - 1);
    return n === 0;
  });
}
