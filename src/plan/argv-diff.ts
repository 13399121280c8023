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
  const key = (p: [string, string]) => `${p[0]}\u0000${p[1]}`;
  const bKeys = new Map<string, number>();
  for (const p of b) bKeys.set(key(p), (bKeys.get(key(p)) ?? 0) + 1);
  const aKeys = new Map<string, number>();
  for (const p of a) aKeys.set(key(p), (aKeys.get(key(p)) ?? 0) + 1);
  const removed = b.filter((p) => {
    const n = aKeys.get(key(p)) ?? 0;
    if (n > 0) {
      aKeys.set(key(p), n - 1);
      return false;
    }
    return true;
  });
  const added = a.filter((p) => {
    const n = bKeys.get(key(p)) ?? 0;
    if (n > 0) {
      bKeys.set(key(p), n - 1);
      return false;
    }
    return true;
  });
  const byOption = new Map<string, { before: string[]; after: string[] }>();
  for (const [opt, val] of removed) {
    const e = byOption.get(opt) ?? { before: [], after: [] };
    e.before.push(val);
    byOption.set(opt, e);
  }
  for (const [opt, val] of added) {
    const e = byOption.get(opt) ?? { before: [], after: [] };
    e.after.push(val);
    byOption.set(opt, e);
  }
  for (const [opt, { before: bv, after: av }] of byOption) {
    const path = OPTION_FIELDS[opt] ?? `extraArgs (${opt || 'argument'})`;
    changes.push({
      path,
      before: bv.length === 0 ? undefined : bv.length === 1 ? bv[0] : bv,
      after: av.length === 0 ? undefined : av.length === 1 ? av[0] : av,
      forcesReplacement: true,
    });
  }
  return changes;
}
