/**
 * Maps any error to the one message a user sees and the exit code (README "Exit codes"). Known
 * errors carry their own actionable text; anything else is a bug: say so, without a stack trace
 * unless COLO_DEBUG=1. `message` is null when the output already reported the failure.
 */
import { CommandFailed, UserError } from './user-error.ts';

const KNOWN = new Set([
  'TransportError',
  'CommandError',
  'HostKeyError',
  'HostLockError',
  'QmpError',
  'QmpConnectionError',
  'LockError',
  'StateError',
  'StateDirError',
  'ApplyError',
  'PlanFileError',
  'FailoverRefused',
  'LabAssetError',
  'ClusterRefused',
]);

export function describeError(err: unknown): { message: string | null; exitCode: number } {
  if (err instanceof CommandFailed) return { message: err.report, exitCode: err.exitCode };
  if (err instanceof UserError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof Error) {
    if (KNOWN.has(err.name)) return { message: err.message, exitCode: 1 };
    const debug = process.env.COLO_DEBUG === '1' ? `\n${err.stack ?? ''}` : '';
    return {
      message: `internal error (a bug in colo, please report it): ${err.message}${debug}`,
      exitCode: 1,
    };
  }
  return { message: `internal error: ${String(err)}`, exitCode: 1 };
}
