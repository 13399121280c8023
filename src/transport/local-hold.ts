/**
 * Transport.hold on this machine: a child process whose stdin colo keeps open. When colo exits or is
 * killed, the pipe closes and the program sees the end of its input, as over SSH.
 */
import { spawn } from 'node:child_process';
import type { HeldProgram, HoldOutcome } from './types.ts';

const RELEASE_WAIT_MS = 5000;

export function holdLocal(argv: readonly string[], readyLine: string, signal: AbortSignal): Promise<HoldOutcome> {
  const [prog, ...args] = argv;
  if (prog === undefined) return Promise.reject(new Error('empty argv'));
  const child = spawn(prog, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let isEnded = false;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const held: HeldProgram = {
    ended,
    get isEnded() {
      return isEnded;
    },
    async release() {
      if (isEnded) return;
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), RELEASE_WAIT_MS);
      await ended;
      clearTimeout(t);
    },
  };
  return new Promise<HoldOutcome>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdin.on('error', () => {});
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      if (settled) return;
      if (Buffer.concat(out).toString('utf8').split('\n').slice(0, -1).includes(readyLine)) {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve({ held });
      }
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      reject(e);
    });
    child.on('close', (code, sig) => {
      isEnded = true;
      resolveEnded();
      signal.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      if (signal.aborted) return reject(signal.reason);
      resolve({
        held: null,
        result: {
          code,
          ...(sig ? { signal: sig } : {}),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        },
      });
    });
  });
}
