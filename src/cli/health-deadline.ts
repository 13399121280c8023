/** `--health-deadline`: how long a QEMU may take to greet and answer on QMP before it counts as hung. */
import type { Command } from '@commander-js/extra-typings';
import { parseDuration } from './parse-duration.ts';
import { UserError } from './user-error.ts';

export const HEALTH_DEADLINE_FLAG = '--health-deadline <duration>';
export const HEALTH_DEADLINE_DEFAULT = '500ms';

/** Adds the flag to a command (the same words everywhere). */
export function withHealthDeadline(c: Command, what: string): Command {
  return c.option(
    HEALTH_DEADLINE_FLAG,
    `a running QEMU whose QMP greeting and first answer take longer counts as hung, ${what}`,
    HEALTH_DEADLINE_DEFAULT,
  ) as unknown as Command;
}

/** The flag's value in ms; more than 0. */
export function healthDeadlineMs(text: string | undefined): number {
  const ms = parseDuration(text ?? HEALTH_DEADLINE_DEFAULT, '--health-deadline');
  if (ms <= 0) throw new UserError(`--health-deadline: must be more than 0 (example: ${HEALTH_DEADLINE_DEFAULT})`);
  return ms;
}
