/** MAC addresses for every NIC: explicit ones checked for uniqueness, the others derived. */
import { deriveMac, normalizeMac } from './mac.ts';
import type { RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import { presentNetdevs } from './resolve-values.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';

/**
 * Explicit MACs must be unique across the file; netdevs without one get a derived MAC that avoids
 * every explicit one and every earlier derived one. Key: `${vm}/${netdevId}`.
 */
export function assignMacs(vms: readonly { name: string; vm: RawVm }[], r: Reporter): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Map<string, SpecPath>();
  for (const { name, vm } of vms) {
    for (const { netdev, id, index } of presentNetdevs(vm)) {
      if (netdev.mac === undefined) continue;
      const mac = normalizeMac(netdev.mac);
      const path = ['vms', name, 'netdevs', index, 'mac'];
      const first = taken.get(mac);
      if (first)
        r.error(
          path,
          `${formatPath(path)}: duplicate MAC address ${mac}, already used by ${formatPath(first.slice(0, -1))} ` +
            `(line ${r.lineOf(first, 'value')})`,
        );
      else taken.set(mac, path);
      out.set(`${name}/${id}`, mac);
    }
  }
  for (const { name, vm } of vms) {
    for (const { netdev, id, index } of presentNetdevs(vm)) {
      if (netdev.mac !== undefined) continue;
      let attempt = 0;
      let mac = deriveMac(name, id);
      while (taken.has(mac)) mac = deriveMac(name, id, ++attempt);
      taken.set(mac, ['vms', name, 'netdevs', index, 'mac']);
      out.set(`${name}/${id}`, mac);
    }
  }
  return out;
}
