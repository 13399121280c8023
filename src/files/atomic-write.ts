/**
 * The one crash-safe way colo replaces a local file: the data goes to a new private temp file in the
 * same directory, gets its exact mode (whatever the umask) and is fsynced; then it is renamed over the
 * target and the directory is fsynced. A crash at any point leaves the old file or the new one, never
 * a truncated one, and a failed write removes its temp file.
 *
 * The files edge (src/files): the state file, saved plans, the local transport and
 * the lab all write through it. Remote writes go through the transport (WRITE_SCRIPT).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode (default 0o600). */
  mode?: number;
  /** The temp file (default `.<name>.colo-tmp.<random>` beside the target); a stale one is replaced. */
  tmpPath?: string;
  /** Runs once the new data is durable in the temp file, right before the rename (the state's backup). */
  beforeRename?: () => Promise<void>;
}

export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = opts.tmpPath ?? join(dirname(path), `.${basename(path)}.colo-tmp.${randomBytes(6).toString('hex')}`);
  try {
    if (opts.tmpPath !== undefined) await fsp.rm(tmp, { force: true });
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.chmod(opts.mode ?? 0o600); // exact mode, whatever the umask
      await fh.sync();
    } finally {
      await fh.close();
    }
    await opts.beforeRename?.();
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path));
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
