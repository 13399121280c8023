/**
 * The observe script's output (src/render/cluster/observe-script.ts) -> what a cluster host has:
 * dpkg-query's lines, per file its mode and sha256 (or absent), each daemon's state, the CIB's and
 * crm_mon's XML when pacemakerd answered. Pure.
 */

export interface ObservedFile {
  /** Octal mode as stat prints it ("644"). */
  mode: string;
  sha256: string;
}

export interface ClusterHostObserved {
  host: string;
  /** The host could not be asked (unreachable, script failed): the reason. */
  error?: string;
  dpkg: string;
  files: Record<string, ObservedFile | undefined>;
  corosync: string;
  pacemakerd: string;
  cibXml?: string;
  cibError?: string;
  crmMonXml?: string;
}

export function parseClusterObserve(host: string, stdout: string): ClusterHostObserved {
  const sections = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^@@colo (\S+)$/.exec(line);
    if (m) sections.set(m[1]!, (cur = []));
    else cur?.push(line);
  }
  if (!sections.has('end'))
    return {
      host,
      error: 'the observe script did not finish',
      dpkg: '',
      files: {},
      corosync: 'unknown',
      pacemakerd: 'unknown',
    };
  const files: Record<string, ObservedFile | undefined> = {};
  for (const l of sections.get('files') ?? []) {
    const m = /^(\S+) (\S+) (.+)$/.exec(l);
    if (m) files[m[3]!] = m[1] === '-' ? undefined : { mode: m[1]!, sha256: m[2]! };
  }
  const state = (name: string): string => {
    for (const l of sections.get('services') ?? []) {
      const m = new RegExp(`^${name}=(\\S+)`).exec(l);
      if (m) return m[1]!;
    }
    return 'unknown';
  };
  const cib = sections.get('cib')?.join('\n');
  const out: ClusterHostObserved = {
    host,
    dpkg: (sections.get('packages') ?? []).join('\n'),
    files,
    corosync: state('corosync'),
    pacemakerd: state('pacemakerd'),
  };
  if (cib !== undefined) {
    if (sections.has('cib-error')) out.cibError = cib.trim();
    else out.cibXml = cib;
  }
  const mon = sections.get('crm_mon')?.join('\n');
  if (mon !== undefined && mon.trim() !== '') out.crmMonXml = mon;
  return out;
}
