/** Small constructors for writing recipes readably. Pure. */
import type { QmpCommand } from '../qmp-command.ts';
import type { Json, PathStep, Predicate, QmpStep, Query, Ref, Tolerance } from './types.ts';

export function cmd(execute: string, args?: Record<string, unknown>): QmpCommand {
  return args === undefined ? { execute } : { execute, arguments: args };
}

/** Plain commands as the steps of a send operation. */
export function steps(commands: QmpCommand[]): QmpStep[] {
  return commands.map((command) => ({ command }));
}

export function ref(fact: string, ...path: PathStep[]): Ref {
  return path.length === 0 ? { fact } : { fact, path };
}

/** The first element of an array whose `key` equals `value`. */
export function where(key: string, value: Json): PathStep {
  return { where: key, equals: value };
}

export function eq(at: Ref, equals: Json): Predicate {
  return { at, equals };
}

/** The array fact (at `path` inside it) has an element whose `key` equals `value`. */
export function has(fact: string, path: PathStep[], key: string, value: Json): Predicate {
  return { at: { fact, path: [...path, where(key, value)] }, present: true };
}

export function not(p: Predicate): Predicate {
  return { not: p };
}

export function all(...of: Predicate[]): Predicate {
  return { all: of };
}

export function any(...of: Predicate[]): Predicate {
  return { any: of };
}

export const ANY_QMP_ERROR: Tolerance = { anyQmpError: true };

export function query(as: string, command: QmpCommand, extra: Omit<Query, 'as' | 'command'> = {}): Query {
  return { as, command, ...extra };
}

/** "only if present" teardown command: sent when the guard holds, any QMP error tolerated. */
export function tryStep(command: QmpCommand, when: Predicate | undefined, extra: Partial<QmpStep> = {}): QmpStep {
  return { command, ...(when ? { when } : {}), tolerate: ANY_QMP_ERROR, ...extra };
}
