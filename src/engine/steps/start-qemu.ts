/**
 * Starting a VM's QEMU on a host: a private VM directory, stale sockets and pid files removed, the
 * rendered argv started detached (-daemonize -pidfile), and its QMP socket answering.
 */
import type { VmSpec } from '../../spec/types.ts';
import { vmPaths } from '../../render/paths.ts';
import type { QmpClient } from '../../qmp/client.ts';
import type { Session } from '../session.ts';

export async function startVmQemu(session: Session, vm: VmSpec, host: string, argv: string[]): Promise<{ pid: number; qmp: QmpClient }> {
  const paths = vmPaths(session.spec, vm, host);
  const t = session.transport(host);
  session.dropQmp(host, vm.name);
  await t.check(['mkdir', '-p', '-m', '0700', paths.dir], { timeoutMs: 15_000 });
  await t.check(['chmod', '0700', paths.dir], { timeoutMs: 15_000 });
  const stale = [paths.qmpSocket, paths.pidFile, paths.consoleLog, ...paths.nics.flatMap((n) => [n.primaryInSocket, n.compareOutSocket])];
  await t.check(['rm', '-f', ...stale], { timeoutMs: 15_000 });
  let pid: number;
  try {
    pid = await t.startDetached(argv, paths.pidFile, { timeoutMs: 60_000 });
  } catch (err) {
    // QEMU's own words are in its stderr (CommandError) or in -D's log.
    const log = await t.run(['tail', '-n', '5', paths.qemuLog], { timeoutMs: 5_000 }).catch(() => null);
    const tail = log?.code === 0 && log.stdout.trim() ? ` (qemu.log: ${log.stdout.trim().split('\n').join(' | ')})` : '';
    throw new Error(`QEMU for ${vm.name} failed to start on ${host}: ${(err as Error).message}${tail}`);
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
  throw new Error(`QEMU for ${vm.name} on ${host} started (pid ${pid}) but its QMP socket ${paths.qmpSocket} does not answer: ${lastErr?.message}`);
}
