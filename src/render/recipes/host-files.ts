/** A host's work directory (private: QMP sockets live below it), and deleting the files colo created. */
import type { Spec } from '../../spec/types.ts';
import { coloDirsOf, refusedCreatedPaths } from '../created-paths.ts';
import { hostOf } from '../paths.ts';
import type { ScriptRecipe } from './types.ts';

/**
 * $1 = the work directory, then colo's per-VM directories on the host. The work directory is made
 * (or made again) 0700 and owned by the SSH user; each existing per-VM directory 0700 and the files
 * in it that the user owns 0600 (older colo versions, qemu-img and QEMU wrote them under umask 022).
 * A symbolic link inside is never followed (find -P, chmod of regular files only).
 */
export const HOST_PREPARE_SCRIPT = [
  'set -e',
  'umask 077',
  'wd=$1; shift',
  'mkdir -p -m 0700 "$wd"',
  'me=$(id -u)',
  'if [ "$(stat -L -c %u "$wd")" != "$me" ]; then chown "$me:$(id -g)" "$wd" || { echo "$wd is owned by uid ' +
    '$(stat -L -c %u "$wd"), not by the SSH user (uid $me), and cannot be taken over: chown it" >&2; exit 1; }; fi',
  'chmod 0700 "$wd"',
  'for d in "$@"; do',
  '  [ -d "$d" ] && [ ! -L "$d" ] || continue',
  '  [ "$(stat -c %u "$d")" = "$me" ] && chmod 0700 "$d"',
  '  find "$d" -maxdepth 1 -type f -user "$me" ! -perm 0600 -exec chmod 0600 {} +',
  'done',
].join('\n');

export function renderHostPrepare(spec: Spec, hostName: string): ScriptRecipe {
  const host = hostOf(spec, hostName);
  const vmDirs = spec.vms
    .filter((v) => v.primary === hostName || v.secondary === hostName)
    .flatMap((vm) => coloDirsOf(spec, hostName, vm.name));
  return {
    kind: 'script',
    name: 'host-prepare',
    summary: "colo's work directory private to the SSH user (0700, owned by it), its files 0600",
    host: hostName,
    body: { kind: 'script', name: 'colo-host-prepare', text: HOST_PREPARE_SCRIPT, args: [host.workDir, ...vmDirs] },
    timeoutMs: 15_000,
    outcome: { kind: 'exit-zero' },
  };
}

/**
 * Removes `files` (what the state says colo created there; never the user's images). Throws when
 * one of them is not an image colo names in one of the VM's colo directories (src/render/created-paths.ts):
 * the state file names something colo never created.
 */
export function renderFilesDelete(spec: Spec, hostName: string, vmName: string, files: string[]): ScriptRecipe {
  const refused = refusedCreatedPaths(spec, hostName, vmName, files);
  if (refused.length > 0) {
    throw new Error(
      `refusing to remove ${refused.map((f) => JSON.stringify(f)).join(', ')} on ${hostName}: the state lists ` +
        `${refused.length === 1 ? 'it' : 'them'} as created for ${vmName}, but colo only creates images in ` +
        `${coloDirsOf(spec, hostName, vmName).join(', ')}; the state file may have been edited or tampered with ` +
        '(remove the entry from its "created" list by hand once you checked)',
    );
  }
  return {
    kind: 'script',
    name: 'files-delete',
    summary: 'the files colo created for the VM on this host removed',
    host: hostName,
    body: { kind: 'exec', argv: ['rm', '-f', '--', ...files] },
    timeoutMs: 30_000,
    outcome: { kind: 'exit-zero' },
  };
}
