/**
 * Reading recipe data against facts (the replies a recipe run stored): values by path, predicates,
 * templates. Pure; the executor in src/engine and the tests use it.
 */
import type { Check, Json, PathStep, Predicate, Ref, ScriptArg, Template, Tolerance } from './types.ts';

export type Facts = Record<string, unknown>;

/** What a run knows besides facts: which labelled commands succeeded. */
export interface EvalContext {
  facts: Facts;
  succeeded?: Record<string, boolean>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

function stepInto(v: unknown, s: PathStep): unknown {
  if (typeof s === 'string') return isObject(v) ? v[s] : undefined;
  if (typeof s === 'number') return Array.isArray(v) ? v[s] : undefined;
  return Array.isArray(v) ? v.find((x) => isObject(x) && deepEqual(x[s.where], s.equals)) : undefined;
}

export function resolve(facts: Facts, r: Ref): unknown {
  let v: unknown = facts[r.fact];
  for (const s of r.path ?? []) {
    if (v === undefined || v === null) return undefined;
    v = stepInto(v, s);
  }
  return v;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

export function holds(p: Predicate, ctx: EvalContext): boolean {
  if ('all' in p) return p.all.every((x) => holds(x, ctx));
  if ('any' in p) return p.any.some((x) => holds(x, ctx));
  if ('not' in p) return !holds(p.not, ctx);
  if ('succeeded' in p) return ctx.succeeded?.[p.succeeded] === true;
  const v = resolve(ctx.facts, p.at);
  if ('equals' in p) return deepEqual(v, p.equals);
  if ('oneOf' in p) return p.oneOf.some((x) => deepEqual(v, x));
  if ('sameAs' in p) return deepEqual(v, resolve(ctx.facts, p.sameAs));
  if ('present' in p) return (v !== undefined && v !== null) === p.present;
  if ('type' in p) return typeOf(v) === p.type;
  if ('bitsSet' in p) return typeof v === 'number' && (v & p.bitsSet) === p.bitsSet;
  return Array.isArray(v) && v.some((x) => typeof x === 'string' && x.startsWith(p.someStartsWith));
}

export function formatValue(v: unknown, absent = 'undefined'): string {
  if (v === undefined || v === null) return absent;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function fill(t: Template, ctx: EvalContext, matched: string[] = []): string {
  return t
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('value' in part) return formatValue(resolve(ctx.facts, part.value), part.absent);
      if ('difference' in part) {
        const [a, b] = part.difference;
        return String(Number(resolve(ctx.facts, a)) - Number(resolve(ctx.facts, b)));
      }
      if ('when' in part) return holds(part.when, ctx) ? fill(part.then, ctx, matched) : '';
      return matched.join(', ');
    })
    .join('');
}

/** The names of a check's items that hold. */
export function matchedItems(c: Check, ctx: EvalContext): string[] {
  return (c.items ?? []).filter((i) => holds(i.when, ctx)).map((i) => i.name);
}

/** The message of the first check that holds, or undefined. */
export function failedCheck(checks: readonly Check[], ctx: EvalContext): string | undefined {
  for (const c of checks) {
    const matched = matchedItems(c, ctx);
    const failed = c.when ? holds(c.when, ctx) : matched.length > 0;
    if (failed) return fill(c.message, ctx, matched);
  }
  return undefined;
}

/** Whether an error a command ended with is tolerated. `qmpDesc` is QEMU's description for QMP errors. */
export function tolerated(t: Tolerance | undefined, qmpDesc: string | undefined): boolean {
  if (!t) return false;
  if ('anyError' in t) return true;
  if (qmpDesc === undefined) return false;
  if ('anyQmpError' in t) return true;
  return new RegExp(t.qmpErrorMatching, 'i').test(qmpDesc);
}

/** A script argument's value: literal, or read from facts (a number or a string). */
export function scriptArgValue(a: ScriptArg, facts: Facts): string {
  if (typeof a === 'string') return a;
  const v = resolve(facts, a.fact);
  if (typeof v !== 'number' && typeof v !== 'string') throw new Error(`no value for ${a.what}`);
  return String(v);
}

export type { Json };
