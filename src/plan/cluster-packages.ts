/**
 * Which cluster packages a host lacks, from `dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' PKG...`
 * (a package not installed prints no `ii` line), and the refusal that names them with the command
 * that installs them. Pure.
 */
import type { ClusterSettings } from '../spec/types.ts';

/** The Debian packages a cluster host needs for this spec's cluster. */
export function requiredClusterPackages(c: ClusterSettings, host: string): string[] {
  const pkgs = ['corosync', 'pacemaker', 'pacemaker-cli-utils'];
  if (c.hosts[host]?.fencing.kind === 'agent') pkgs.push('fence-agents');
  if (c.qdevice) pkgs.push('corosync-qdevice');
  return pkgs;
}

/** The packages of `required` that `dpkgOutput` does not show installed ("ii"). */
export function missingPackages(required: readonly string[], dpkgOutput: string): string[] {
  const installed = new Set<string>();
  for (const line of dpkgOutput.split('\n')) {
    const [pkg, status] = line.trim().split(/\s+/);
    if (pkg && status?.startsWith('ii')) installed.add(pkg.split(':')[0]!);
  }
  return required.filter((p) => !installed.has(p));
}

/** The message apply and plan refuse with, or undefined when nothing is missing. */
export function packagesRefusal(host: string, missing: readonly string[]): string | undefined {
  if (missing.length === 0) return undefined;
  return (
    `host ${host} lacks the cluster package${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ` +
    `install with: apt-get install -y --no-install-recommends ${missing.join(' ')}`
  );
}
