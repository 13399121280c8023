/**
 * Loading a spec: YAML -> schema -> semantic checks -> resolved `Spec`. Every problem is returned as
 * a positioned diagnostic, all at once; bad input never throws. Pure: the file's text, its absolute
 * path, the user and the home directory are inputs (src/cli/spec-file.ts reads and looks them up).
 */
import { checkAddresses } from './check-addresses.ts';
import { checkArgs } from './check-args.ts';
import { checkCluster } from './check-cluster.ts';
import { checkContext } from './check-context.ts';
import { checkFiles } from './check-files.ts';
import { checkHostSharing } from './check-host-sharing.ts';
import { checkHosts } from './check-hosts.ts';
import { checkMachine } from './check-machine.ts';
import { checkSharedMachinePorts } from './check-ports.ts';
import { checkUnits } from './check-units.ts';
import { checkFailover } from './check-failover.ts';
import { checkVms } from './check-vms.ts';
import { checkTls } from './tls.ts';
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

export interface LoadOptions extends ResolveOptions {
  /** The file's absolute path, kept as `Spec.file`; default: `file` as given. */
  absoluteFile?: string;
}

/** Loads `text` as the spec file `file` (as the user named it; used verbatim in diagnostics). */
export function loadSpecText(text: string, file: string, options: LoadOptions): LoadResult {
  const parsed = parseYaml(text, file);
  if (parsed.fatal) return { diagnostics: sortDiagnostics(parsed.diagnostics) };

  const schema = validateSchema(parsed.data, parsed.locator, file);
  const r = new Reporter(file, parsed.locator);
  checkHosts(schema.data, r);
  checkVms(schema.data, r);
  checkUnits(schema.data, r);
  checkFiles(schema.data, r);
  checkArgs(schema.data, r);
  checkFailover(schema.data, r);
  checkTls(schema.data, r);
  const spec = resolveSpec(schema.data, options.absoluteFile ?? file, r, {
    defaultUser: options.defaultUser,
    homeDir: options.homeDir,
  });
  // Checks of what the values mean together, on the resolved spec (defaults and ports filled in).
  const ctx = checkContext(schema.data, spec);
  checkAddresses(ctx, r);
  checkHostSharing(ctx, r);
  checkMachine(ctx, r);
  checkSharedMachinePorts(ctx, r);
  checkCluster(ctx, spec.cluster, r);

  if (spec.vms.length === 0 && !hasErrors([...schema.diagnostics, ...r.diagnostics])) {
    r.warning(['vms'], 'no VMs declared: there is nothing to protect', 'key');
  }
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...schema.diagnostics, ...r.diagnostics]);
  return hasErrors(diagnostics) ? { diagnostics } : { spec, diagnostics };
}
