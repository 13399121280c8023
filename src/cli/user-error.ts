/**
 * Errors the CLI reports without a stack trace. `colo` prints the message (first line = the cause)
 * on stderr and exits with `exitCode`.
 */

/** An error the user can fix (bad flag, bad spec, unreachable host...). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A command that ran and found a failure (verify: a pair is broken; a drill phase failed; failover
 * refused a VM; apply left a pair it could not repair). `report` is the error line, or null when the
 * output already reported the failure (a --json document): then colo exits 1 and prints nothing more.
 */
export class CommandFailed extends Error {
  constructor(
    readonly report: string | null,
    readonly exitCode = 1,
  ) {
    super(report ?? 'failed (reported in the output)');
    this.name = 'CommandFailed';
  }
}
