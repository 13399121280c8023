/** A host's work directory (private: QMP sockets live below it), and deleting the files colo created. */
import type { Spec } from '../../spec/types.ts';
import { coloDirsOf, refusedCreatedPaths } from '../created-paths.ts';
import { hostOf } from '../paths.ts';
import type { ScriptRecipe } from './types.ts';

export function renderHostPrepare(spec: Spec, hostName: string): ScriptRecipe {
  const host = hostOf(spec, hostName);
  return {
    kind: 'script',
    name: 'host-prepare',
    summary: "colo's work directory, private to the user colo runs as",
    host: hostName,
    body: { kind: 'exec', argv: ['mkdir', '-p', '-m', '0700', host.workDir] },
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
