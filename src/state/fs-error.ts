/** A file-system failure of the state directory in words an operator can act on. */

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device (ENOSPC): free some space there',
  EDQUOT: 'the disk quota is exceeded (EDQUOT): free some space or raise the quota',
  EROFS: 'the file system is read-only (EROFS): remount it read-write or use another --state',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EIO: 'an I/O error (EIO): check the disk',
};

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  const cause = code ? CAUSES[code] : undefined;
  return cause ?? (err instanceof Error ? err.message : String(err));
}
