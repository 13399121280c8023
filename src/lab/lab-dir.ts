/**
 * What `lab down --dir D` may touch: D itself (never a directory lab.json names, which may have been
 * edited or copied from elsewhere) and pid files inside D (never one lab.json points outside it).
 */
import path from 'node:path';

/** Whether `file` lies inside `dir` (both resolved; `dir` itself does not count). */
export function insideDir(dir: string, file: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
