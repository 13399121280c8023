/**
 * Runs a topology's argv (src/lab/netns/topology.ts) with execFile, no shell. Setup stops at the first
 * failure, undoes what it made and throws an error naming the command and its stderr. Teardown first
 * kills every process left in the lab's namespaces, then runs every removal, taking "already gone" as
 * done, and reports the rest.
 */
import { execFile } from 'node:child_process';
import { waitPidsGone } from '../../transport/pid.ts';
import type { NetStep } from './topology.ts';

export interface ArgvResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one argv; resolves with its exit code (never rejects on a non-zero exit). */
export type ArgvRunner = (argv: readonly string[]) => Promise<ArgvResult>;

export const runArgv: ArgvRunner = (argv) =>
  new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (!cmd) return resolve({ code: 127, stdout: '', stderr: 'empty command' });
    execFile(cmd, args, { timeout: 15000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      const why = err && !stderr ? err.message : stderr;
      resolve({ code, stdout, stderr: why });
    });
  });

export class NetnsCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    readonly code: number,
  ) {
    super(`"${argv.join(' ')}" failed (exit ${code}): ${stderr.trim() || 'no error output'}`);
    this.name = 'NetnsCommandError';
  }
}

/** stderr of a removal whose object was already gone. */
const ALREADY_GONE = /Cannot find device|No such file or directory|does not exist|Cannot open network namespace/;

/**
 * Runs every step in order. On the first failure runs the undos of the steps done so far, last first
 * (their own failures are appended to the message), and throws a NetnsCommandError.
 */
export async function applySetup(steps: readonly NetStep[], run: ArgvRunner = runArgv): Promise<void> {
  const done: NetStep[] = [];
  for (const step of steps) {
    const r = await run(step.argv);
    if (r.code === 0) {
      done.push(step);
      continue;
    }
    const undoErrors: string[] = [];
    for (const d of done.reverse()) {
      if (!d.undo) continue;
      const u = await run(d.undo);
      if (u.code !== 0 && !ALREADY_GONE.test(u.stderr)) undoErrors.push(`"${d.undo.join(' ')}": ${u.stderr.trim()}`);
    }
    const tail = undoErrors.length ? `\nand undoing it failed too: ${undoErrors.join('; ')}` : '';
    throw new NetnsCommandError(step.argv, `${r.stderr.trim()}${tail}`, r.code);
  }
}

/** Pids of the processes in a namespace (none if it does not exist). */
export async function namespacePids(ns: string, run: ArgvRunner = runArgv): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** SIGKILLs `pids`; resolves to those still running after `waitMs`. */
export async function killAll(pids: readonly number[], waitMs: number): Promise<number[]> {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return waitPidsGone(pids, waitMs, 25);
}

export interface TeardownResult {
  /** Processes killed in the lab's namespaces. */
  killed: number;
  /** Removals that found something to remove. */
  removed: string[][];
}

/**
 * Kills every process in `namespaces` (SIGKILL; a namespace with a process in it would outlive its
 * name), then runs each removal. Throws, after trying all of them, if any failed for another reason
 * than the object being gone already.
 */
export async function applyTeardown(
  namespaces: readonly string[],
  removals: readonly string[][],
  run: ArgvRunner = runArgv,
): Promise<TeardownResult> {
  let killed = 0;
  for (const ns of namespaces) {
    const pids = await namespacePids(ns, run);
    const left = await killAll(pids, 3000);
    killed += pids.length - left.length;
    if (left.length) throw new Error(`processes ${left.join(', ')} in namespace ${ns} survived SIGKILL`);
  }
  const removed: string[][] = [];
  const errors: NetnsCommandError[] = [];
  for (const argv of removals) {
    const r = await run(argv);
    if (r.code === 0) removed.push(argv);
    else if (!ALREADY_GONE.test(r.stderr)) errors.push(new NetnsCommandError(argv, r.stderr, r.code));
  }
  if (errors.length) throw new Error(`lab teardown left something behind: ${errors.map((e) => e.message).join('; ')}`);
  return { killed, removed };
}
