/**
 * Starting a VM's QEMU on a host: a private VM directory, stale sockets and pid files removed, the
 * rendered argv started detached (-daemonize -pidfile), and its QMP socket answering.
 */
import type { VmSpec } from '../../spec/types.ts';
import { socketPaths, vmPaths } from '../../render/paths.ts';
import type { QmpClient } from '../../qmp/client.ts';
import type { Session } from '../session.ts';
import { batchScript } from './run-batch.ts';
import { parsePidFile } from '../../transport/pid-file.ts';

export async function startVmQemu(
  session: Session,
  vm: VmSpec,
  host: string,
  argv: string[],
): Promise<{ pid: number; qmp: QmpClient }> {
  const paths = vmPaths(session.spec, vm, host);
  const t = session.transport(host);
  session.dropQmp(host, vm.name);
  const stale = [paths.pidFile, paths.consoleLog, ...socketPaths(paths)];
  // One round trip: private VM dir, stale files gone, QEMU started (-daemonize), its pid read back.
  const res = await t.run(
    [
      'sh',
      '-c',
      batchScript([
        ['mkdir', '-p', '-m', '0700', paths.dir],
        ['chmod', '0700', paths.dir],
        ['rm', '-f', ...stale],
        argv,
        ['cat', paths.pidFile],
      ]),
    ],
    { timeoutMs: 60_000 },
  );
  const pid = res.code === 0 ? parsePidFile(res.stdout) : null;
  if (pid === null) {
    // With -daemonize, QEMU's own words go to -D's log, not stderr.
    const log = await t.run(['tail', '-n', '5', paths.qemuLog], { timeoutMs: 5_000 }).catch(() => null);
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
