/** Registers every colo command on the program, in the order `colo --help` lists them. */
import type { Command } from '@commander-js/extra-typings';
import type { ExitCode } from './exit-code.ts';
import { registerValidate } from './commands/validate.ts';
import { registerPlan } from './commands/plan.ts';
import { registerApplyLike } from './commands/apply.ts';
import { registerForceUnlock } from './commands/force-unlock.ts';
import { registerLab } from './commands/lab.ts';
import { registerRender } from './commands/render.ts';
import { registerStatus } from './commands/status.ts';
import { registerFailover } from './commands/failover.ts';
import { registerGraph } from './commands/graph.ts';
import { registerVerify } from './commands/verify.ts';
import { registerDrill } from './commands/drill.ts';
import { registerTls } from './commands/tls.ts';
import { registerMetrics } from './commands/metrics.ts';

export function registerCommands(program: Command, exit: ExitCode): void {
  const { wire } = exit;
  registerValidate(program, wire);
  registerRender(program, exit.wire);
  registerGraph(program, wire);
  registerPlan(program, wire);
  registerApplyLike(program, wire, 'apply');
  registerApplyLike(program, wire, 'destroy');
  registerStatus(program, wire);
  registerFailover(program, wire);
  registerVerify(program, wire);
  registerDrill(program, wire);
  registerMetrics(program, wire);
  registerForceUnlock(program, wire);
  registerTls(program, wire);
  registerLab(program, wire);
}
