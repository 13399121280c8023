/** Registers every colo command on the program. */
import type { Command } from '@commander-js/extra-typings';
import { registerValidate } from './validate.ts';
import { registerPlan } from './plan.ts';
import { registerApplyLike } from './apply.ts';
import { registerForceUnlock } from './force-unlock.ts';
import { registerLab } from './lab.ts';
import { registerRender } from './render.ts';
import { registerStatus } from './status.ts';
import { registerFailover } from './failover.ts';
import { registerGraph } from './graph.ts';
import { registerVerify } from './verify.ts';
import { registerDrill } from './drill.ts';

export type SetExitCode = (code: number) => void;

export function registerCommands(program: Command, setExit: SetExitCode): void {
  registerValidate(program, setExit);
  registerRender(program, setExit);
  registerGraph(program, setExit);
  registerPlan(program, setExit);
  registerApplyLike(program, setExit, 'apply');
  registerApplyLike(program, setExit, 'destroy');
  registerStatus(program, setExit);
  registerFailover(program, setExit);
  registerVerify(program, setExit);
  registerDrill(program, setExit);
  registerForceUnlock(program, setExit);
  registerLab(program, setExit);
}
