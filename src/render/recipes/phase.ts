/**
 * A phase: commands sent in order (or pipelined), then an optional wait for block-job events. The
 * sequences below (mirror start, switchover, resync finish, ...) are built as phases; a recipe
 * sends a phase with one send operation.
 */
import type { QmpCommand } from '../qmp-command.ts';
import { steps } from './build.ts';
import type { SendOp } from './types.ts';

export interface QmpWait {
  /** Wait until this event arrived for every job id (BLOCK_JOB_* events carry data.device = job id). */
  event: 'BLOCK_JOB_READY' | 'BLOCK_JOB_COMPLETED';
  jobIds: string[];
}

export interface QmpPhase {
  /** Stable phase name, e.g. "secondary-prepare", "switchover-wire". */
  name: string;
  commands: QmpCommand[];
  /**
   * Send all commands at once and check every reply (one round trip), instead of one command per
   * round trip stopping at the first error. Used for the switchover wiring.
   */
  pipelined?: boolean;
  waitFor?: QmpWait;
}

/** Default time allowed per command of a phase, and for a phase's job events. */
export const PHASE_COMMAND_MS = 30_000;
export const PHASE_WAIT_MS = 600_000;

/** A phase as a send operation; `timeoutMs` per command and for its job events. */
export function sendPhase(p: QmpPhase, timeoutMs = PHASE_COMMAND_MS, waitTimeoutMs = PHASE_WAIT_MS): SendOp {
  return {
    op: 'send',
    phase: p.name,
    steps: steps(p.commands),
    ...(p.pipelined ? { pipelined: true } : {}),
    timeoutMs,
    ...(p.waitFor ? { waitFor: { ...p.waitFor, timeoutMs: waitTimeoutMs } } : {}),
  };
}
