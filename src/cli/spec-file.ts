/**
 * The spec's edge: reads the file and looks up the user and home directory that src/spec (pure)
 * takes as inputs, then loads it with `loadSpecText`.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { MAX_SPEC_BYTES, loadSpecText, sizeProblem } from '../spec/index.ts';
import type { LoadOptions, LoadResult } from '../spec/index.ts';

/** The SSH user when the spec names none: the user running colo. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'root';
  }
}

/**
 * Reads and loads a spec file. A file that cannot be read is one whole-file diagnostic. `options`
 * override the user and home directory of this process (tests pin them).
 */
export async function loadSpecFile(
  file: string,
  options: Partial<LoadOptions> = {},
): Promise<LoadResult & { text?: string }> {
  let text: string;
  try {
    // A file over the limit is refused unread (a multi-GB file would not even fit in a string).
    const { size } = await stat(file);
    if (size > MAX_SPEC_BYTES) {
      const message = sizeProblem(size) as string;
      return { diagnostics: [{ severity: 'error', file, line: 0, col: 0, message }] };
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Node's message is "ENOENT: no such file or directory, open 'x.yaml'": drop the syscall part.
    const reason = (e.message ?? String(err)).replace(/, \w+ '.*'$/, '');
    return { diagnostics: [{ severity: 'error', file, line: 0, col: 0, message: `cannot read: ${reason}` }] };
  }
  return {
    ...loadSpecText(text, file, {
      ...loadEnvironment(options),
      absoluteFile: options.absoluteFile ?? resolvePath(file),
    }),
    text,
  };
}

/** The user and home directory a spec resolves with (`~/` paths, the default SSH user). */
export function loadEnvironment(options: Partial<LoadOptions> = {}): Pick<LoadOptions, 'defaultUser' | 'homeDir'> {
  return { defaultUser: options.defaultUser ?? currentUser(), homeDir: options.homeDir ?? homedir() };
}
