/** A host's work directory (private: QMP sockets live below it), and deleting the files colo created. */
import type { Spec } from '../../spec/types.ts';
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

/** Removes `files` (what the state says colo created there; never the user's images). */
export function renderFilesDelete(hostName: string, files: string[]): ScriptRecipe {
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
