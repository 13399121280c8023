/** The plan as Terraform users expect to read it: legend, one block per step, drift notes, summary. */
import type { Action, Plan, PlannedStep } from '../../../plan/plan-model.ts';
import { summarizePlan } from '../../../plan/plan-model.ts';
import type { Style } from '../../style.ts';
import { commandLineDiff } from './command-line-diff.ts';
import type { Output } from '../output.ts';
import type { PlanView, PlanViewOptions } from './plan-view.ts';
import type { Advice } from '../../../plan/checkpoint-advice.ts';
import { clusterChangeLines, clusterRefusalLines } from './cluster-human.ts';

const SYMBOL: Record<Action, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
const VERB: Record<Action, string> = {
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
};
const LEGEND: Record<Action, string> = {
  create: 'create',
  update: 'update in-place',
  replace: 'destroy and then create replacement',
  delete: 'destroy',
};

function colour(action: Action, st: Style, s: string): string {
  return action === 'create'
    ? st.green(s)
    : action === 'update'
      ? st.yellow(s)
      : action === 'delete'
        ? st.red(s)
        : st.red(s);
}

function fmt(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v);
}

function renderStep(step: PlannedStep, st: Style): string[] {
  const lines: string[] = [];
  const where = step.host ? ` on ${step.host}` : '';
  lines.push(st.bold(`  # ${step.address}${where} ${VERB[step.action]}`));
  if (step.reason) lines.push(st.dim(`  # (${step.reason})`));
  const sym = SYMBOL[step.action];
  lines.push(`${colour(step.action, st, sym.padStart(3))} ${step.kind}`);
  for (const c of step.changes) {
    const forces = c.forcesReplacement ? st.red(' # forces replacement') : '';
    lines.push(`      ${st.yellow('~')} ${c.path} = ${fmt(c.before)} -> ${fmt(c.after)}${forces}`);
  }
  if (step.commandLine) {
    lines.push(st.dim('      # command line, running -> as the spec renders it now:'));
    for (const l of commandLineDiff(step.commandLine.before, step.commandLine.after)) {
      const paint = l.startsWith('+') ? st.green : l.startsWith('-') ? st.red : st.dim;
      lines.push(`      ${paint(l)}`);
    }
  }
  lines.push('');
  return lines;
}

function blockedLines(plan: Plan, st: Style): string[] {
  const out: string[] = [];
  for (const b of plan.blocked) {
    out.push(
      st.red(
        st.bold(
          `Warning: ${b.vm} ` +
            `${plan.mode === 'destroy' ? 'cannot be destroyed completely' : 'cannot be repaired by apply'}`,
        ),
      ),
      `  ${b.reason}`,
    );
    if (b.hint) out.push(`  To resolve: ${b.hint}`);
    out.push('');
  }
  return out;
}

export function renderPlanHuman(
  plan: Plan,
  st: Style,
  opts: { savedTo?: string; forApply?: boolean; advice?: Advice[] } = {},
): string {
  const out: string[] = [];
  if (plan.drift.length > 0) {
    out.push(`${st.cyan(st.bold('Note:'))} ${st.bold('Objects have changed outside of colo')}`, '');
    out.push('colo detected the following changes made outside of colo since the last apply:', '');
    for (const d of plan.drift) out.push(`  # ${d.address}${d.host ? ` on ${d.host}` : ''}: ${d.description}`);
    out.push('');
  }
  out.push(...blockedLines(plan, st));
  out.push(...clusterRefusalLines(plan, st));
  for (const w of plan.warnings) out.push(st.yellow(`Warning: ${w}`));
  if (plan.warnings.length > 0) out.push('');
  for (const a of opts.advice ?? []) out.push(`${st.yellow(st.bold('Advice:'))} ${a.message}`, '');
  if (plan.mode === 'refresh-only') {
    out.push(
      plan.drift.length === 0
        ? st.green(st.bold('No changes. Your infrastructure still matches the configuration.'))
        : 'This is a refresh-only plan: colo plans no actions.',
    );
    return `${out.join('\n')}\n`;
  }
  const cluster = clusterChangeLines(plan, st);
  if (plan.steps.length === 0 && cluster.length === 0) {
    // A blocked pair does not match the configuration: never say it does.
    if (plan.blocked.length > 0) {
      out.push(st.bold('No changes planned: apply cannot repair this.'));
      out.push(
        '',
        `${plan.blocked.length} pair${plan.blocked.length === 1 ? '' : 's'} ` +
          `need${plan.blocked.length === 1 ? 's' : ''} your action (see above).`,
      );
    } else out.push(st.green(st.bold('No changes. Your infrastructure matches the configuration.')));
    return `${out.join('\n')}\n`;
  }
  const present = new Set<Action>([
    ...plan.steps.map((s) => s.action),
    ...(plan.clusters ?? []).flatMap((c) => [...c.hostChanges, ...c.cib].map((x) => x.action)),
  ]);
  out.push(
    'colo used the spec and the observed hosts to generate the following execution plan. Resource actions are ' +
      'indicated with the following symbols:',
  );
  for (const a of ['create', 'update', 'replace', 'delete'] as Action[]) {
    if (present.has(a)) out.push(`  ${colour(a, st, SYMBOL[a].padStart(3))} ${LEGEND[a]}`);
  }
  out.push('', 'colo will perform the following actions:', '');
  for (const step of plan.steps) out.push(...renderStep(step, st));
  const s = summarizePlan(plan);
  out.push(...cluster);
  if (plan.steps.length > 0 || cluster.length === 0)
    out.push(st.bold(`Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`));
  if (opts.forApply) {
    // apply asks for confirmation next; the -out note does not apply
  } else if (opts.savedTo)
    out.push(
      '',
      `Saved the plan to: ${opts.savedTo}`,
      '',
      `To perform exactly these actions, run: colo apply ${opts.savedTo}`,
    );
  else
    out.push(
      '',
      `Note: You didn't use the -out option to save this plan, so colo can't guarantee to take exactly these ` +
        `actions if you run "colo apply" now.`,
    );
  return `${out.join('\n')}\n`;
}

export class PlanHuman implements PlanView {
  constructor(
    private readonly output: Output,
    private readonly style: Style,
  ) {}

  plan(plan: Plan, opts: PlanViewOptions = {}): void {
    this.output.out(
      renderPlanHuman(plan, this.style, {
        ...(opts.savedTo ? { savedTo: opts.savedTo } : {}),
        ...(opts.advice ? { advice: opts.advice } : {}),
      }),
    );
  }
}
