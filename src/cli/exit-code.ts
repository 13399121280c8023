/**
 * How a command's exit code reaches runCli: each command's action resolves to its exit code (0, or
 * 2 for `plan --detailed-exitcode` with changes); failures are thrown and mapped in main.ts.
 */

/** A command's action: its work, resolving to the exit code. */
export type CommandAction<A extends unknown[]> = (...args: A) => Promise<number>;

/** Turns an action into commander's action callback, recording the exit code it resolves to. */
export type Wire = <A extends unknown[]>(action: CommandAction<A>) => (...args: A) => Promise<void>;

/** The exit code of the command that ran (0 until an action resolves). */
export class ExitCode {
  code = 0;
  readonly wire: Wire =
    (action) =>
    async (...args) => {
      this.code = await action(...args);
    };
}
