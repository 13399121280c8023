/**
 * The one crash-safe way colo replaces a local file: the data goes to a new private temp file in the
 * same directory, gets its exact mode (whatever the umask) and is fsynced; then it is renamed over the
 * target and the directory is fsynced. A crash at any point leaves the old file or the new one, never
 * a truncated one, and a failed write removes its temp file.
 *
 * The temp file's name is unpredictable (a random suffix) and it is opened O_CREAT|O_EXCL|O_NOFOLLOW:
 * a file or symlink planted at any name beside the target is never followed, truncated or removed.
 *
 * The files edge (src/files): the state file (and its backup), saved plans, the local transport and
 * the lab (lab.json, its spec) all write through it; the state lock is created with createFileAtomic.
 * Remote writes go through the transport (WRITE_SCRIPT).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode (default 0o600). */
  mode?: number;
  /** Runs once the new data is durable in the temp file, right before the rename (the state's backup). */
  beforeRename?: () => Promise<void>;
}

/** Create only, never through a symlink, never an existing file. */
const TMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** `.<name>.colo-tmp.<random>` beside the target: 96 random bits, so nobody can plant a file there first. */
export function tmpPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.colo-tmp.${randomBytes(12).toString('hex')}`);
}

export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tmpPathBeside(path);
  await writeSyncedTemp(tmp, data, opts.mode ?? 0o600);
  try {
    await opts.beforeRename?.();
    await fsp.rename(tmp, path);
  } catch (e) {
    await removeTemp(tmp);
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** A new private temp file (never an existing one) with `data`, its exact `mode` and fsynced; removed on failure. */
async function writeSyncedTemp(tmp: string, data: string | Buffer, mode: number): Promise<void> {
  const fh = await fsp.open(tmp, TMP_FLAGS, 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(mode); // exact mode, whatever the umask
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await removeTemp(tmp);
    throw e;
  }
}

const removeTemp = (tmp: string): Promise<void> => fsp.rm(tmp, { force: true }).catch(() => undefined);

/**
 * Creates `path` with `data` only if nothing is there yet, and never partly: the data is written and
 * fsynced in a private temp file beside it, then hard-linked to `path` (link() fails when `path`
 * exists, atomically, like O_EXCL) and the temp name removed. Resolves false when `path` existed.
 * A crash leaves no file or the complete one (and at worst a stray temp file), never an empty one.
 */
export async function createFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<boolean> {
  const tmp = tmpPathBeside(path);
  await writeSyncedTemp(tmp, data, mode);
  try {
    try {
      await fsp.link(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // a file system without hard links: the plain exclusive create (complete unless killed mid-write)
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
        return createExclusive(path, data, mode);
      throw e;
    }
  } finally {
    await removeTemp(tmp);
  }
  await fsyncDir(dirname(path));
  return true;
}

async function createExclusive(path: string, data: string | Buffer, mode: number): Promise<boolean> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, TMP_FLAGS, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(path, { force: true }).catch(() => undefined);
    throw e;
  }
  return true;
}

/** Makes a rename in `dir` durable. Some filesystems refuse fsync on directories; the rename is still atomic. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here
  } finally {
    await handle?.close();
  }
}
