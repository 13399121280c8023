/** Paths into the spec document (`['vms', 'web', 'disks', 0, 'id']`) and how they are shown to users. */

export type PathSegment = string | number;
export type SpecPath = readonly PathSegment[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `vms.web.disks[0].id`; the empty path is `the top level`. */
export function formatPath(path: SpecPath): string {
  if (path.length === 0) return 'the top level';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `in vms.web.machine` / `at the top level`. */
export function inPath(path: SpecPath): string {
  return path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
}

/** Splits an ajv instancePath (JSON pointer) into segments; array indexes stay strings here. */
export function fromJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
