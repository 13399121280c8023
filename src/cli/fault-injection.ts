/**
 * TEST HOOK, not a feature: fault injection for test/e2e/faults.test.ts. Read only here, at the CLI
 * edge, and only when COLO_TEST_HOOKS=1; the engine just calls the AfterStepHook it is given.
 *
 *   COLO_TEST_HOOKS=1                  enables the hooks below (without it they are ignored, with a warning)
 *   COLO_FAULT_AFTER_STEP=<step>[:<n>] after the n-th (default 1st) completion of that step in this run:
 *                                      a plan step kind (colo-start, files-delete, ...) or a failover
 *                                      step (fence, promote)
 *   COLO_FAULT=kill-self               colo SIGKILLs itself there (no cleanup, no lock release)
 *   COLO_FAULT=pause                   colo prints `colo test hook: paused after ...` on stderr and waits
 *                                      for SIGUSR2, so the test can cut the SSH connection or kill a QEMU
 *                                      from the outside, then let colo carry on
 */
import type { AfterStepHook } from '../engine/after-step-hook.ts';
import { UserError } from './user-error.ts';

export type FaultAction = 'kill-self' | 'pause';
const ACTIONS: readonly FaultAction[] = ['kill-self', 'pause'];

export interface FaultRequest {
  step: string;
  occurrence: number;
  action: FaultAction;
}

/** The fault the environment asks for; undefined when none (or when COLO_TEST_HOOKS is not 1). */
export function faultRequestFrom(
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): FaultRequest | undefined {
  const after = env['COLO_FAULT_AFTER_STEP'];
  const fault = env['COLO_FAULT'];
  if (after === undefined && fault === undefined) return undefined;
  if (env['COLO_TEST_HOOKS'] !== '1') {
    warn('colo: COLO_FAULT_AFTER_STEP / COLO_FAULT are test hooks and are ignored unless COLO_TEST_HOOKS=1');
    return undefined;
  }
  const m = /^([a-z][a-z-]*)(?::([1-9][0-9]*))?$/.exec(after ?? '');
  if (!m) {
    throw new UserError(
      `COLO_FAULT_AFTER_STEP=${JSON.stringify(after ?? '')}: expected <step>[:<n>], e.g. colo-start or host-prepare:2`,
    );
  }
  if (!ACTIONS.includes(fault as FaultAction)) {
    throw new UserError(`COLO_FAULT=${JSON.stringify(fault ?? '')}: expected one of ${ACTIONS.join(', ')}`);
  }
  return { step: m[1]!, occurrence: Number(m[2] ?? '1'), action: fault as FaultAction };
}

/** What the hook does to this process; replaceable in the unit test. */
export interface FaultEffects {
  killSelf(): void;
  say(line: string): void;
  waitForResume(): Promise<void>;
}

export const processEffects: FaultEffects = {
  killSelf: () => process.kill(process.pid, 'SIGKILL'),
  say: (line) => process.stderr.write(`${line}\n`),
  waitForResume: () => new Promise((resolve) => process.once('SIGUSR2', () => resolve())),
};

/** The AfterStepHook carrying out `req` once, at the n-th completion of its step. */
export function faultHook(req: FaultRequest, fx: FaultEffects = processEffects): AfterStepHook {
  let seen = 0;
  return async ({ step, host, address }) => {
    if (step !== req.step || ++seen !== req.occurrence) return;
    const where = `${step}:${seen} (${address}${host ? ` on ${host}` : ''})`;
    if (req.action === 'kill-self') {
      fx.say(`colo test hook: killing myself (SIGKILL) after ${where}`);
      fx.killSelf();
      await new Promise<never>(() => undefined); // SIGKILL is not caught: nothing runs after it
    }
    const resumed = fx.waitForResume(); // listening before we say so
    fx.say(`colo test hook: paused after ${where}, pid ${process.pid}; send SIGUSR2 to continue`);
    await resumed;
    fx.say(`colo test hook: resumed after ${where}`);
  };
}

/** The hook of this process's environment, if any (see the top of this file). */
export function afterStepHookFromEnv(env: NodeJS.ProcessEnv = process.env): AfterStepHook | undefined {
  const req = faultRequestFrom(env);
  return req ? faultHook(req) : undefined;
}
