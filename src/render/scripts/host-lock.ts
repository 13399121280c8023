/**
 * The host lock, as data: a fixed script that takes flock(1) on `<workDir>/.colo.lock`, writes the
 * holder's identity into it, says HOST_LOCK_HELD and then holds the lock until its stdin ends (colo
 * releases it, or colo's SSH session ends: colo exited, was killed, or lost the connection). Another
 * colo that finds the lock held gets exit HOST_LOCK_BUSY and the holder's record on stdout.
 *
 * Every value is a positional parameter (`sh -c SCRIPT colo-host-lock WORKDIR HOLDER`), never pasted
 * into the script's text. Pure.
 */

/** The file in a host's work directory that the lock is taken on. */
export const HOST_LOCK_FILE = '.colo.lock';

/** The line the script prints once it holds the lock. */
export const HOST_LOCK_HELD = 'colo-host-lock-held';

/** Exit code when another process holds the lock (EX_TEMPFAIL); stdout then carries its record. */
export const HOST_LOCK_BUSY = 75;

/** Exit code when the lock file cannot be used (a symbolic link, not writable, flock missing). */
export const HOST_LOCK_UNUSABLE = 73;

export const HOST_LOCK_SCRIPT = [
  'umask 077; wd=$1; info=$2; f="$wd/.colo.lock"',
  'command -v flock >/dev/null 2>&1 || { echo "flock (util-linux) is not installed on this host" >&2; exit 73; }',
  '[ -d "$wd" ] || mkdir -p -m 0700 "$wd" || exit 73',
  '[ -L "$f" ] && { echo "$f is a symbolic link, which colo never creates: remove it" >&2; exit 73; }',
  'exec 9>>"$f" || exit 73',
  'if ! flock -n 9; then',
  // the holder writes its record right after taking the lock: an empty file is re-read a moment later
  '  i=0; h=; while [ $i -lt 20 ]; do h=$(head -c 4096 "$f" 2>/dev/null); [ -n "$h" ] && break; ' +
    'sleep 0.1; i=$((i + 1)); done',
  '  printf "%s\\n" "$h"; exit 75',
  'fi',
  'printf \'{"remotePid":%s,"holder":%s}\\n\' "$$" "$info" > "$f" || exit 73',
  `echo ${HOST_LOCK_HELD}`,
  'cat >/dev/null',
  ': > "$f"',
].join('\n');

/** The argv that takes the lock of a host whose work directory is `workDir`; `holder` is JSON. */
export function hostLockArgv(workDir: string, holder: string): string[] {
  return ['sh', '-c', HOST_LOCK_SCRIPT, 'colo-host-lock', workDir, holder];
}
