/**
 * Fencing an unreachable host before its VMs' survivors are promoted: the operator's word or the
 * host's fence command, run on this machine through a local Transport in its own process group
 * (whose timeout kills the group), its secrets from `fence.envFile` as environment (src/engine/fence-env.ts).
 * src/plan/failover-decision.ts decides which; this runs it, once per host.
 */
import type { Spec } from '../spec/types.ts';
import { fenceFailed, hostFencing } from '../plan/failover-decision.ts';
import { LocalTransport } from '../transport/local-transport.ts';
import { readFenceEnv, redactValues } from './fence-env.ts';

/**
 * Runs a fence command (argv) with a timeout and extra environment; resolves to its exit code (null:
 * killed or not run) and output.
 */
export type RunFence = (
  argv: string[],
  timeoutMs: number,
  env?: Record<string, string>,
) => Promise<{ code: number | null; output: string }>;

/** Fences a host (why: the error it was unreachable with); resolves to how. */
export type FenceOnce = (host: string, why: string) => Promise<'fence-command' | 'operator'>;

/** A fence command on this machine, through the local Transport (its timeout kills the command). */
export const runFenceCommand: RunFence = async (argv, timeoutMs, env) => {
  try {
    const r = await new LocalTransport('localhost', { processGroup: true }).run(argv, {
      timeoutMs,
      ...(env ? { env } : {}),
    });
    return { code: r.code, output: redactValues(`${r.stdout}${r.stderr}`.trim(), env ?? {}).slice(-500) };
  } catch (err) {
    return { code: null, output: redactValues((err as Error).message, env ?? {}) };
  }
};

/** Each unreachable host is fenced at most once, however many of its VMs fail over. */
export function fenceEachHostOnce(
  spec: Spec,
  fencedByOperator: readonly string[],
  runFence: RunFence = runFenceCommand,
): FenceOnce {
  const fences = new Map<string, Promise<'fence-command' | 'operator'>>();
  return (host, why) => {
    let p = fences.get(host);
    if (!p) {
      p = (async () => {
        const how = hostFencing(host, spec.hosts[host], fencedByOperator, why);
        if (how.how === 'operator') return 'operator' as const;
        const envFile = spec.hosts[host]?.fence?.envFile;
        const env = envFile !== undefined ? await readFenceEnv(envFile) : {};
        const r = await runFence(how.command, how.timeoutMs, envFile !== undefined ? env : undefined);
        if (r.code !== 0) {
          // the env file's secrets never reach a message, the JSON or a log
          const command = how.command.map((a) => redactValues(a, env));
          throw fenceFailed(host, command, { code: r.code, output: redactValues(r.output, env) });
        }
        return 'fence-command' as const;
      })();
      fences.set(host, p);
    }
    return p;
  };
}
