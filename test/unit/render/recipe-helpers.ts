/** Reading recipes in tests: the QMP commands a recipe can send, in order; a step's recipes. */
import assert from 'node:assert/strict';
import type { QmpCommand } from '../../../src/qmp/types.ts';
import type { QmpOp, QmpRecipe, Recipe, ScriptRecipe, StepRecipes, VmRecipes } from '../../../src/render/index.ts';

/** Every command of the recipe's send operations and queries, in order (guards ignored: what it may send). */
export function recipeCommands(r: QmpRecipe, o: { queries?: boolean } = {}): QmpCommand[] {
  const ops = (list: QmpOp[]): QmpCommand[] =>
    list.flatMap((op): QmpCommand[] => {
      if (op.op === 'send') return op.steps.map((s) => s.command);
      if (op.op === 'query' || op.op === 'check' || op.op === 'poll')
        return o.queries ? (op.queries ?? []).map((q) => q.command) : [];
      if (op.op === 'rescue') return [...ops(op.ops), ...ops(op.rescue)];
      if (op.op === 'include') return ops(op.recipe.ops);
      return [];
    });
  return ops(r.ops);
}

export function stepOf(list: StepRecipes[], step: string, host?: string): StepRecipes {
  const s = list.find((x) => x.step === step && (host === undefined || x.host === host));
  assert.ok(s, `no step ${step} in ${list.map((x) => `${x.step} on ${x.host}`).join(', ')}`);
  return s;
}

export function qmpOf(s: StepRecipes, name: string): QmpRecipe {
  const r = s.recipes.find((x): x is QmpRecipe => x.kind === 'qmp' && x.name === name);
  assert.ok(r, `no QMP recipe ${name} in step ${s.step}`);
  return r;
}

export function scriptOf(s: StepRecipes, name?: string): ScriptRecipe {
  const r = s.recipes.find((x): x is ScriptRecipe => x.kind === 'script' && (name === undefined || x.name === name));
  assert.ok(r, `no script ${name ?? ''} in step ${s.step}`);
  return r;
}

/** The QEMU argv inside a start script (the command before `cat <pid file>`). */
export function startArgv(s: StepRecipes): string[] {
  const body = scriptOf(s).body;
  assert.equal(body.kind, 'batch');
  const argv = body.kind === 'batch' ? body.commands.at(-2) : undefined;
  assert.ok(argv && argv.every((a) => typeof a === 'string'));
  return argv as string[];
}

export type { Recipe, VmRecipes };
