/** The view of `colo render`: a spec's recipes as text, or as JSON (the recipe objects themselves). */
import type { Spec, VmSpec } from '../../../spec/types.ts';
import { dialectForVersion, formatQemuVersion, type QemuVersion } from '../../../render/dialect.ts';
import { renderVmRecipes, type VmRecipes } from '../../../render/recipes/vm-recipes.ts';
import { renderRecipesText } from './render-text.ts';

export { renderRecipesText, renderVmText, type RenderTextOptions } from './render-text.ts';

export function renderRecipesJson(list: VmRecipes[]): string {
  return `${JSON.stringify(list, null, 2)}\n`;
}

export interface RenderViewOptions {
  /** Every host is rendered for this QEMU version. */
  version: QemuVersion;
  /** accel auto renders as kvm. */
  kvm: boolean;
  json: boolean;
}

/** What `colo render` prints for these VMs of the spec (the goldens pin it). */
export function renderView(spec: Spec, vms: VmSpec[], o: RenderViewOptions): string {
  const dialect = dialectForVersion(o.version);
  const list = vms.map((vm) => renderVmRecipes(spec, vm, { qemu: () => ({ dialect, kvmAvailable: o.kvm }) }));
  return o.json
    ? renderRecipesJson(list)
    : renderRecipesText(list, { qemuVersion: formatQemuVersion(o.version), kvm: o.kvm });
}
