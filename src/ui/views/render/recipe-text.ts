/**
 * One recipe as text for `colo render`: QMP commands as the JSON colo sends, each operation and
 * condition in words; remote commands as a person would type them (shell-quoted).
 */
import type { QmpCommand } from '../../../render/qmp-command.ts';
import { quoteArg, quoteArgv } from '../../../render/shell-quote.ts';
import type {
  Check,
  QmpOp,
  QmpRecipe,
  QmpStep,
  Query,
  ScriptArg,
  ScriptRecipe,
  Tolerance,
} from '../../../render/recipes/types.ts';
import { commandLineLines } from '../../command-line-lines.ts';
import { predicateText, refText, templateText } from './predicate-text.ts';

/** What one rendering already printed: recipes included again are named, fixed scripts listed once. */
export interface TextContext {
  /** Each recipe printed in full (as JSON), with the step it was printed under. */
  printed: Map<string, string>;
  scripts: Map<string, string>;
  /** The step being printed, e.g. "colo-start on alpha". */
  where: string;
}

export function newTextContext(): TextContext {
  return { printed: new Map(), scripts: new Map(), where: '' };
}

export const duration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

function toleranceText(t: Tolerance): string {
  if ('anyError' in t) return 'any error tolerated';
  if ('anyQmpError' in t) return 'QMP errors tolerated';
  return `QMP errors matching /${t.qmpErrorMatching}/i tolerated`;
}

/** A command as the JSON colo sends (an out-of-band one with `exec-oob`, as on the wire). */
function commandJson(c: QmpCommand): string {
  if (!c.oob) return JSON.stringify(c);
  return JSON.stringify({ 'exec-oob': c.execute, ...(c.arguments ? { arguments: c.arguments } : {}) });
}

function stepLine(s: QmpStep, groupWhen = false): string {
  const notes = [
    ...(s.when && !groupWhen ? [`only if ${predicateText(s.when)}`] : []),
    ...(s.tolerate ? [toleranceText(s.tolerate)] : []),
    ...(s.label ? [`outcome kept as ${JSON.stringify(s.label)}`] : []),
    ...(s.removes ? [`removes ${s.removes}`] : []),
  ];
  return `${commandJson(s.command)}${notes.length > 0 ? `  # ${notes.join('; ')}` : ''}`;
}

function queryLine(q: Query): string {
  const notes = [
    ...(q.on ? [`on the ${q.on}`] : []),
    ...(q.onError === 'absent' ? ['an error leaves it absent'] : []),
    ...(typeof q.onError === 'object' ? [`an error gives ${JSON.stringify(q.onError.use)}`] : []),
  ];
  return `${q.as} = ${commandJson(q.command)}${notes.length > 0 ? `  # ${notes.join('; ')}` : ''}`;
}

function checkLines(c: Check): string[] {
  const message = JSON.stringify(templateText(c.message));
  const items = (c.items ?? []).map((i) => `  ${i.name}: ${predicateText(i.when)}`);
  const cond =
    c.when && 'not' in c.when ? `unless ${predicateText(c.when.not)}` : c.when && `if ${predicateText(c.when)}`;
  if (cond) return [`fail ${cond}: ${message}`, ...(items.length ? ['  items:', ...items] : [])];
  return [`fail if any item holds: ${message}`, ...items];
}

const indent = (lines: string[], by = '  ') => lines.map((l) => `${by}${l}`);

function sendLines(op: Extract<QmpOp, { op: 'send' }>): string[] {
  const how = [
    ...(op.pipelined ? ['pipelined: all sent at once, every reply checked'] : ['one by one']),
    ...(op.timeoutMs !== undefined ? [`each at most ${duration(op.timeoutMs)}`] : []),
    ...(op.waitFor
      ? [
          `then wait for ${op.waitFor.event} of ${op.waitFor.jobIds.join(', ')}, ` +
            `at most ${duration(op.waitFor.timeoutMs)}`,
        ]
      : []),
  ];
  return [`${op.phase ? `phase ${op.phase}` : 'send'} (${how.join('; ')}):`, ...indent(stepsLines(op.steps))];
}

/** Commands in order; a run of several with the same condition gets it once. */
function stepsLines(list: QmpStep[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length;) {
    const key = JSON.stringify(list[i]!.when);
    let j = i + 1;
    while (j < list.length && list[j]!.when && JSON.stringify(list[j]!.when) === key) j++;
    const when = list[i]!.when;
    if (when && j - i > 1) {
      out.push(`only if ${predicateText(when)}:`, ...indent(list.slice(i, j).map((s) => stepLine(s, true))));
    } else out.push(...list.slice(i, j).map((s) => stepLine(s)));
    i = j;
  }
  return out;
}

function pollLines(op: Extract<QmpOp, { op: 'poll' }>): string[] {
  return [
    `poll every ${duration(op.intervalMs)}, at most ${duration(op.timeoutMs)}, waiting for ${op.what}:`,
    ...indent([
      ...op.queries.map(queryLine),
      ...(op.fail ?? []).flatMap(checkLines),
      ...op.pending.map((p) => `pending while ${predicateText(p.when)}: ${JSON.stringify(templateText(p.show))}`),
      ...(op.slowNote
        ? [`when it took over ${duration(op.slowNote.overMs)}: progress "${op.slowNote.text} N ms"`]
        : []),
    ]),
  ];
}

function waitLine(op: Extract<QmpOp, { op: 'wait-event' }>): string {
  const after = !op.after ? '' : 'mark' in op.after ? ` after mark ${op.after.mark}` : ` after event ${op.after.event}`;
  return (
    `wait for ${op.events.join(' or ')}${op.device ? ` of ${op.device}` : ''}${after}, at most ` +
    `${duration(op.timeoutMs)}${op.as ? `, kept as ${op.as}` : ''}${op.optional ? ' (not arriving is fine)' : ''}`
  );
}

function opBody(op: QmpOp, ctx: TextContext): string[] {
  switch (op.op) {
    case 'send':
      return sendLines(op);
    case 'query':
      return [
        `query${op.timeoutMs ? ` (each at most ${duration(op.timeoutMs)})` : ''}:`,
        ...indent(op.queries.map(queryLine)),
      ];
    case 'check':
      return [...(op.queries ?? []).map((q) => `query ${queryLine(q)}`), ...op.fail.flatMap(checkLines)];
    case 'poll':
      return pollLines(op);
    case 'wait-event':
      return [waitLine(op)];
    case 'mark':
      return [`mark ${op.as} (the QEMU's event position)`];
    case 'note':
      return [`progress: ${op.text}`];
    case 'rescue':
      return [
        `do (on a failure: rescue, then fail with "${op.failure}: <error> (${op.rescued} | ${op.rescueFailed}: ` +
          '<error>)"):',
        ...indent(opsLines(op.ops, ctx)),
        'rescue:',
        ...indent(opsLines(op.rescue, ctx)),
      ];
    case 'include': {
      const seen = ctx.printed.get(JSON.stringify(op.recipe));
      if (seen) return [`run recipe ${op.recipe.name} (printed above under ${seen})`];
      return [`run recipe ${op.recipe.name}:`, ...indent(qmpRecipeLines(op.recipe, ctx))];
    }
  }
}

function opsLines(ops: QmpOp[], ctx: TextContext): string[] {
  return ops.flatMap((op) => {
    const body = opBody(op, ctx);
    const cond = [...(op.on ? [`on the ${op.on}`] : []), ...(op.when ? [`only if ${predicateText(op.when)}`] : [])];
    return cond.length > 0 ? [`${cond.join(', ')}:`, ...indent(body)] : body;
  });
}

export function qmpRecipeLines(r: QmpRecipe, ctx: TextContext): string[] {
  const json = JSON.stringify(r);
  const seen = ctx.printed.get(json);
  const hosts = Object.entries(r.hosts)
    .map(([role, host]) => `${host} (${role === 'either' ? 'its QEMU there' : role})`)
    .join(', ');
  if (seen) return [`# QMP ${r.name} on ${hosts}: ${r.summary}; the same recipe as printed under ${seen} above`];
  ctx.printed.set(json, ctx.where);
  const retry = r.retry
    ? [
        `# run again, up to ${r.retry.times} times ${duration(r.retry.delayMs)} apart, on QMP errors matching ` +
          `/${r.retry.qmpErrorMatching}/i`,
      ]
    : [];
  return [`# QMP ${r.name} on ${hosts}: ${r.summary}`, ...retry, ...opsLines(r.ops, ctx)];
}

const argText = (a: ScriptArg): string => (typeof a === 'string' ? quoteArg(a) : `<${refText(a.fact)}>`);

function batchLine(c: ScriptArg[]): string {
  if (c.length > 8 && c.every((a) => typeof a === 'string')) {
    // One option per line for reading; still a valid shell command.
    return commandLineLines(c as string[]).join(' \\\n      ');
  }
  return c.every((a) => typeof a === 'string') ? quoteArgv(c as string[]) : c.map(argText).join(' ');
}

export function scriptRecipeLines(r: ScriptRecipe, ctx: TextContext): string[] {
  const o = r.outcome;
  const outcome =
    o.kind === 'exit-zero'
      ? 'must exit 0'
      : o.kind === 'expect'
        ? `must exit 0 and print ${JSON.stringify(o.stdoutIncludes)}, else: ${o.failure}`
        : 'its output is read';
  const head = `# run on ${r.host}: ${r.name}: ${r.summary}; at most ${duration(r.timeoutMs)}; ${outcome}`;
  const b = r.body;
  if (b.kind === 'exec') return [head, b.argv.map(argText).join(' ')];
  if (b.kind === 'batch') {
    return [head, '# in one sh -c: each command runs only if the one before succeeded', ...b.commands.map(batchLine)];
  }
  ctx.scripts.set(b.name, b.text);
  return [head, `sh -c <the script ${b.name}, below> ${[b.name, ...b.args].map(argText).join(' ')}`];
}
