/**
 * Pid-file liveness through a Transport, the way colo's scripts check it: the pid file read and parsed
 * (parsePidFile), then the shell fragment PID_RUNNING_FN run on the host.
 */
import { PID_RUNNING_FN } from '../../src/render/scripts/transport-scripts.ts';
import { parsePidFile } from '../../src/transport/pid-file.ts';
import { TransportError, type Transport } from '../../src/transport/types.ts';

/** The pid in `pidFile` on the host when that process runs there; null when it does not, or no pid is there. */
export async function runningPid(t: Transport, pidFile: string): Promise<number | null> {
  let text: string;
  try {
    text = (await t.readFile(pidFile)).toString('utf8');
  } catch (e) {
    if (e instanceof TransportError && e.causeCode === 'ENOENT') return null;
    throw e;
  }
  const pid = parsePidFile(text);
  if (pid === null) return null;
  const r = await t.run(['sh', '-c', `${PID_RUNNING_FN}\nrunning "$1"`, 'sh', String(pid)]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`the liveness check failed: ${r.code} ${r.stderr}`);
  return r.code === 0 ? pid : null;
}
