/**
 * The real CLI and the guest's service for the benchmarks: the runner and GET shared with the tests
 * (test/helpers/cli.ts), plus exit-code checks, first-answer polling and apply figures.
 */
import { httpGet, type CliResult } from '../../test/helpers/cli.ts';

export { colo, COLO_BIN, httpGet, ROOT, type CliResult } from '../../test/helpers/cli.ts';

/** Throws with the CLI's output when it did not exit with one of `codes`. */
export function expectCode(r: CliResult, what: string, codes: number[] = [0]): CliResult {
  if (r.code === null || !codes.includes(r.code)) {
    throw new Error(`${what} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }
  return r;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls GET until it answers or `timeoutMs` passes; resolves the time from the call until the
 * first answer (ms) and the body, or rejects with the last error.
 */
export async function firstAnswer(
  address: string,
  port: number,
  timeoutMs: number,
  perTryMs = 2000,
  intervalMs = 50,
): Promise<{ ms: number; body: string; tries: number }> {
  const t0 = performance.now();
  let last: unknown;
  let tries = 0;
  while (performance.now() - t0 < timeoutMs) {
    tries++;
    try {
      const body = await httpGet(
        address,
        port,
        Math.min(perTryMs, Math.max(100, timeoutMs - (performance.now() - t0))),
      );
      return { ms: performance.now() - t0, body, tries };
    } catch (e) {
      last = e;
      await sleep(intervalMs);
    }
  }
  throw new Error(
    `no answer from http://${address}:${port}/ within ${timeoutMs} ms after ${tries} tries: ` +
      `${(last as Error)?.message ?? last}`,
  );
}

/** Numbers printed by colo apply's colo-start step ("in COLO; mirror N ms, switchover pause N ms"). */
export function applyFigures(stdout: string): { pauseMs?: number; mirrorMs?: number; steps: Record<string, number> } {
  const pause = /switchover pause (\d+) ms/.exec(stdout)?.[1];
  const mirror = /mirror (\d+) ms/.exec(stdout)?.[1];
  const steps: Record<string, number> = {};
  for (const m of stdout.matchAll(
    /^(vm\.\S+): (?:Creation|Modifications|Destruction) complete after ([\d.]+)(m?s)/gm,
  )) {
    steps[m[1]!] = Number(m[2]) * (m[3] === 's' ? 1000 : 1);
  }
  return { ...(pause ? { pauseMs: Number(pause) } : {}), ...(mirror ? { mirrorMs: Number(mirror) } : {}), steps };
}
