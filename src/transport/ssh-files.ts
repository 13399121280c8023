/**
 * Files on an SSH host through exec of fixed programs with quoted arguments: `cat` to read, and
 * `sh -c WRITE_SCRIPT` (a temp file renamed over the target) to write. No sftp subsystem needed.
 */
import { WRITE_SCRIPT } from '../render/scripts/transport-scripts.ts';
import type { RawResult } from './ssh-exec.ts';
import { errnoFromStderr } from './ssh-errors.ts';
import { TransportError } from './types.ts';

/** Runs an argv on the host with optional stdin and timeout (SshTransport's runRaw). */
export type RunRaw = (
  argv: readonly string[],
  stdin: string | Buffer | undefined,
  timeoutMs: number | undefined,
) => Promise<RawResult>;

export async function readRemoteFile(
  host: string,
  runRaw: RunRaw,
  path: string,
  timeoutMs: number | undefined,
): Promise<Buffer> {
  const r = await runRaw(['cat', '--', path], undefined, timeoutMs);
  if (r.code !== 0) throw fileError(host, `read ${path}`, r, `cat exited ${r.code ?? r.signal}`);
  return r.stdout;
}

/** Writes atomically with the exact `mode` (default 0o600). */
export async function writeRemoteFile(
  host: string,
  runRaw: RunRaw,
  path: string,
  data: string | Buffer,
  opts: { mode?: number; timeoutMs?: number },
): Promise<void> {
  const mode = (opts.mode ?? 0o600).toString(8);
  const r = await runRaw(['sh', '-c', WRITE_SCRIPT, 'colo-write', path, mode], data, opts.timeoutMs);
  if (r.code !== 0) throw fileError(host, `write ${path}`, r, `exit ${r.code ?? r.signal}`);
}

/** "HOST: cannot WHAT: STDERR" (or `otherwise` when stderr is empty), with an errno-like code from stderr. */
function fileError(host: string, what: string, r: RawResult, otherwise: string): TransportError {
  const stderr = r.stderr.toString('utf8').trim();
  return new TransportError(host, `${host}: cannot ${what}: ${stderr || otherwise}`, errnoFromStderr(stderr));
}
