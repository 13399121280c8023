/**
 * Which paths colo may remove on a host for a VM. The state's `created` list becomes a remote
 * `rm -f`, so a tampered or corrupt state file must not be able to name anything else: a path is
 * removable only when it is, after normalisation, a file directly in one of the VM's colo
 * directories (`<workDir>/<vm>`, or `<secondaryDir>/<vm>` of any secondaryDir the spec names) and is
 * named as colo names its images (`<disk>-base|hidden|active.qcow2`). A path with `.`/`..`/empty
 * components, a relative path, or one with control characters is refused outright. Pure.
 */
import type { Spec } from '../spec/types.ts';
import { hostOf, joinPath } from './paths.ts';

const IMAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*-(base|hidden|active)\.qcow2$/;

/** `p` split into components when it is an absolute path without `.`, `..`, empty or control-character parts. */
function plainComponents(p: string): string[] | null {
  if (!p.startsWith('/') || /[\u0000-\u001f\u007f]/.test(p)) return null;
  const parts = p.replace(/\/+$/, '').split('/').slice(1);
  if (parts.some((c) => c === '' || c === '.' || c === '..')) return null;
  return parts;
}

/** The VM's colo directories on the host, normalised (no trailing slash). */
export function coloDirsOf(spec: Spec, hostName: string, vmName: string): string[] {
  const roots = [hostOf(spec, hostName).workDir];
  for (const vm of spec.vms) for (const d of vm.disks) if (d.secondaryDir !== undefined) roots.push(d.secondaryDir);
  const dirs = new Set<string>();
  for (const root of roots) {
    const parts = plainComponents(joinPath(root, vmName));
    if (parts) dirs.add(`/${parts.join('/')}`);
  }
  return [...dirs];
}

/** The paths of `files` colo must not remove (see the module comment); empty when all are fine. */
export function refusedCreatedPaths(spec: Spec, hostName: string, vmName: string, files: readonly string[]): string[] {
  const dirs = coloDirsOf(spec, hostName, vmName);
  return files.filter((f) => {
    const parts = plainComponents(f);
    if (!parts || parts.length < 2 || !IMAGE_NAME.test(parts[parts.length - 1]!)) return true;
    return !dirs.includes(`/${parts.slice(0, -1).join('/')}`);
  });
}
