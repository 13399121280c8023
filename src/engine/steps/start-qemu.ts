/**
 * Starting a VM's QEMU on a host: the start recipe (src/render/recipes/qemu-process.ts) in one
 * round trip, its pid read back, and its QMP socket answering.
 */
import type { VmSpec } from '../../spec/types.ts';
import { vmPaths } from '../../render/paths.ts';
import { renderQemuLogTail } from '../../render/recipes/qemu-process.ts';
import type { ScriptRecipe } from '../../render/recipes/types.ts';
import type { QmpClient } from '../../qmp/client.ts';
import type { Session } from '../session.ts';
import { parsePidFile } from '../../transport/pid-file.ts';
import { runScriptRecipe } from '../run-recipe-script.ts';

export async function startVmQemu(
  session: Session,
  vm: VmSpec,
  start: ScriptRecipe,
): Promise<{ pid: number; qmp: QmpClient }> {
  const host = start.host;
  const paths = vmPaths(session.spec, vm, host);
  const t = session.transport(host);
  session.dropQmp(host, vm.name);
  const res = await runScriptRecipe(t, start);
  const pid = res.code === 0 ? parsePidFile(res.stdout) : null;
  if (pid === null) {
    // With -daemonize, QEMU's own words go to -D's log, not stderr.
    const log = await runScriptRecipe(t, renderQemuLogTail(session.spec, vm, host)).catch(() => null);
    const tail =
      log?.code === 0 && log.stdout.trim() ? ` (qemu.log: ${log.stdout.trim().split('\n').join(' | ')})` : '';
    const why =
      res.code === 0
        ? `no pid in ${paths.pidFile}`
        : `exit ${res.code}${res.stderr.trim() ? `: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
    throw new Error(`QEMU for ${vm.name} failed to start on ${host}: ${why}${tail}`);
  }
  let lastErr: Error | undefined;
  for (let i = 0; i < 100; i++) {
    try {
      const qmp = await session.qmp(host, vm.name, { timeoutMs: 5_000 });
      return { pid, qmp };
    } catch (err) {
      lastErr = err as Error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(
    `QEMU for ${vm.name} on ${host} started (pid ${pid}) but its QMP socket ${paths.qmpSocket} does not answer: ` +
      `${lastErr?.message}`,
  );
}
