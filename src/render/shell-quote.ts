/**
 * Quoting an argv into one command string for a POSIX shell.
 *
 * An SSH exec request carries a single string that the remote user's login shell parses, so every
 * argument is wrapped in single quotes (inside which a POSIX shell interprets nothing), with each
 * embedded single quote written as '\'' . Words made only of characters that no POSIX shell treats
 * specially are left bare so commands stay readable in messages. The login shell is assumed to be
 * POSIX-compatible (sh, dash, bash, ksh, zsh); csh and fish parse quotes differently.
 */

/** Characters that never need quoting in any POSIX shell (no `=`: `a=b` as a first word is an assignment; no `~`). */
const SAFE_WORD = /^[A-Za-z0-9_\/.,:+@%-]+$/;

/** Quote one argument. Throws on NUL, which no argv can carry. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain a NUL byte');
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Quote an argv into one command line: argv[0] is the program, nothing in it is interpreted by the shell. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty argv');
  return argv.map(quoteArg).join(' ');
}

/** Valid environment variable name for `env NAME=VALUE`. */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** argv prefixed with `env K=V ...` for the given environment (names validated, values quoted by quoteArgv). */
export function withEnv(argv: readonly string[], env: Record<string, string> | undefined): string[] {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return [...argv];
  for (const [k] of entries) {
    if (!isEnvName(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
  }
  // `--` is not portable for env; a program name starting with '-' or containing '=' would be misread.
  const prog = argv[0] ?? '';
  if (prog.startsWith('-') || prog.includes('=')) {
    throw new Error(
      `cannot run ${JSON.stringify(prog)} with an environment: the program name starts with '-' or contains '='`,
    );
  }
  return ['env', ...entries.map(([k, v]) => `${k}=${v}`), ...argv];
}
