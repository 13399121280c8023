/**
 * Loading a spec: YAML -> schema -> semantic checks -> resolved `Spec`. Every problem is returned as
 * a positioned diagnostic, all at once; bad input never throws.
 */
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { checkHosts } from './check-hosts.ts';
import { checkUnits } from './check-units.ts';
import { checkVms } from './check-vms.ts';
import type { Diagnostic } from './diagnostics.ts';
import { hasErrors, sortDiagnostics } from './diagnostics.ts';
import { Reporter } from './reporter.ts';
import { resolveSpec } from './resolve.ts';
import type { ResolveOptions } from './resolve.ts';
import { validateSchema } from './schema-errors.ts';
import type { Spec } from './types.ts';
import { parseYaml } from './yaml-document.ts';

export interface LoadResult {
  /** Present only when there is no error (warnings allowed). */
  spec?: Spec;
  /** Sorted by position. */
  diagnostics: Diagnostic[];
}

export type LoadOptions = Partial<ResolveOptions>;

/** Loads `text` as the spec file `file` (as the user named it; used verbatim in diagnostics). */
export function loadSpecText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const parsed = parseYaml(text, file);
  if (parsed.fatal) return { diagnostics: sortDiagnostics(parsed.diagnostics) };

  const schema = validateSchema(parsed.data, parsed.locator, file);
  const r = new Reporter(file, parsed.locator);
  checkHosts(schema.data, r);
  checkVms(schema.data, r);
  checkUnits(schema.data, r);
  const spec = resolveSpec(schema.data, resolvePath(file), r, {
    defaultUser: options.defaultUser ?? currentUser(),
    homeDir: options.homeDir ?? homedir(),
  });

  if (spec.vms.length === 0 && !hasErrors([...schema.diagnostics, ...r.diagnostics])) {
    r.warning(['vms'], 'no VMs declared: there is nothing to protect', 'key');
  }
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...schema.diagnostics, ...r.diagnostics]);
  return hasErrors(diagnostics) ? { diagnostics } : { spec, diagnostics };
}

/** Reads and loads a spec file. A file that cannot be read is one whole-file diagnostic. */
export async function loadSpecFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Node's message is "ENOENT: no such file or directory, open 'x.yaml'": drop the syscall part.
    const reason = (e.message ?? String(err)).replace(/, \w+ '.*'$/, '');
    return { diagnostics: [{ severity: 'error', file, line: 0, col: 0, message: `cannot read: ${reason}` }] };
  }
  return loadSpecText(text, file, options);
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'root';
  }
}
