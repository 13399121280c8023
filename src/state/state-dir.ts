/**
 * The state directory (`.colo/` beside the spec, or the directory of `--state`) holds the state, its
 * backup, the lock and their temp files. Another user who can write there could plant files or
 * symlinks, or swap the state colo acts on; so colo creates it 0700 and refuses an existing one that
 * is not a directory, is owned by another user, or is writable by group or others. colo does not
 * re-secure such a directory itself: what is already in it may have been planted, and the operator
 * should look before running `chmod 700` (the message says so).
 */
import * as fs from 'node:fs/promises';

/** The state directory cannot be trusted; the message says why and what to do. */
export class StateDirError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'StateDirError';
  }
}

/** Creates `dir` (0700) when missing; throws StateDirError when an existing one is not private to us. */
export async function ensurePrivateStateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fs.stat(dir);
  if (!st.isDirectory()) throw new StateDirError(dir, `state directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new StateDirError(
      dir,
      `state directory ${dir} is owned by uid ${st.uid}, not by you (uid ${uid}): refusing to keep colo's ` +
        'state, lock and backups where another user controls them; use a directory of your own (--state)',
    );
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw new StateDirError(
      dir,
      `state directory ${dir} is writable by group or others (mode ${mode}): another user could plant ` +
        `files or symlinks there. Check its contents, then run "chmod go-w ${dir}" (colo creates it 0700)`,
    );
  }
}
