/** `colo lab exec client|alpha|beta -- CMD...`: runs an argv (no shell) inside one of the lab's namespaces. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { readNetnsLab } from './netns-lab-info.ts';

export const EXEC_TARGETS = ['client', 'alpha', 'beta', 'net'] as const;
export type ExecTarget = (typeof EXEC_TARGETS)[number];

export function isExecTarget(s: string): s is ExecTarget {
  return (EXEC_TARGETS as readonly string[]).includes(s);
}

/** The namespace of a target in the netns lab of `dir`. */
export function targetNamespace(dir: string, target: ExecTarget): string {
  const ns = readNetnsLab(dir).namespaces;
  return target === 'client' ? ns.client : target === 'net' ? ns.net : ns.hosts[target];
}

/** Runs `argv` in the target's namespace with this process's stdio; resolves to its exit code (128+N on signal N). */
export function labExec(dir: string, target: ExecTarget, argv: readonly string[]): Promise<number> {
  if (argv.length === 0)
    return Promise.reject(new Error('lab exec: no command given (colo lab exec TARGET -- CMD...)'));
  const ns = targetNamespace(dir, target);
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'inherit' });
    p.once('error', reject);
    p.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
