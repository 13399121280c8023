/**
 * An error the user can fix (bad flag, bad spec, unreachable host...). The CLI prints its message
 * (first line = the cause) and exits with `exitCode` — never a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
