/**
 * `colo render` as text: per VM, every recipe colo runs, grouped by what runs it (observation,
 * apply in step order, leaving COLO, failover both ways, re-protection, destroy), each step's
 * recipes in the order they run. The same objects apply, failover and destroy execute.
 */
import type { Placement } from '../../../render/placement.ts';
import type { StepRecipes, VmRecipes } from '../../../render/recipes/vm-recipes.ts';
import { newTextContext, qmpRecipeLines, scriptRecipeLines, type TextContext } from './recipe-text.ts';

export interface RenderTextOptions {
  /** The QEMU version rendered for, e.g. "7.2.0". */
  qemuVersion: string;
  kvm: boolean;
}

function stepLines(s: StepRecipes, ctx: TextContext): string[] {
  ctx.where = `${s.step} on ${s.host}`;
  const recipes = s.recipes.flatMap((r) => (r.kind === 'qmp' ? qmpRecipeLines(r, ctx) : scriptRecipeLines(r, ctx)));
  return ['', `--- ${s.step} on ${s.host}`, ...recipes.map((l) => `  ${l}`)];
}

const section = (title: string, steps: StepRecipes[], ctx: TextContext) => [
  '',
  `## ${title}`,
  ...steps.flatMap((s) => stepLines(s, ctx)),
];

const placementText = (p: Placement) =>
  `primary ${p.primary}${p.primaryPromoted ? ' (promoted)' : ''}, secondary ${p.secondary}`;

export function renderVmText(r: VmRecipes, ctx: TextContext = newTextContext()): string {
  const out: string[] = [`=== vm ${r.vm}: ${placementText(r.placement)}`];
  out.push(...section('observation: before every plan, apply, failover and destroy', r.observe, ctx));
  out.push(...section('apply, in step order (each step runs when the plan has it)', r.apply, ctx));
  out.push(...section('leave COLO: the secondary is gone or broken, the primary runs alone', [r.leaveColo], ctx));
  out.push(...section('failover --to secondary: the primary is lost', r.failoverToSecondary, ctx));
  out.push(...section('failover --to primary: the secondary is lost', r.failoverToPrimary, ctx));
  out.push(
    ...section(
      `re-protect after failover --to secondary (apply): ${placementText(r.reprotect.placement)}`,
      r.reprotect.steps,
      ctx,
    ),
  );
  out.push(
    '',
    '## re-protect after failover --to primary (apply): the apply steps secondary-images, secondary-start and ' +
      'colo-start above',
  );
  out.push(...section('destroy', r.destroy, ctx));
  return `${out.join('\n')}\n`;
}

/** The whole output: a header, every VM, then the fixed scripts the VMs' commands name. */
export function renderRecipesText(list: VmRecipes[], o: RenderTextOptions): string {
  const ctx: TextContext = newTextContext();
  const kvm = o.kvm ? 'KVM available' : 'KVM not available (accel auto -> tcg)';
  const head = `# colo render: what colo runs, for QEMU ${o.qemuVersion} on every host, ${kvm}.\n`;
  const vms = list.map((r) => renderVmText(r, ctx));
  const scripts = [...ctx.scripts].map(([name, text]) => `--- the script ${name}\n${text}\n`);
  const appendix = scripts.length > 0 ? ['=== fixed scripts (run by sh -c; values arrive as $1, $2, ...)\n'] : [];
  return [head, ...vms, ...appendix, ...scripts].join('\n');
}
