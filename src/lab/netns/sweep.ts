/**
 * Finding and removing what network-namespace labs left behind. A lab's own `lab up`/`lab down` sweeps
 * by the suffix its lab.json records; `colo lab down --sweep` removes every lab (namespaces
 * `colo-<6 hex>-*`, root links `c<6 hex>-mg`) whose owner is gone: the root link's alias names the lab
 * directory, and a lab counts as owned while that directory's lab.json records the same suffix.
 */
import { existsSync } from 'node:fs';
import { applyTeardown, runArgv, type ArgvRunner, type TeardownResult } from './apply-topology.ts';
import { NAMESPACE_PATTERN, labNames } from './names.ts';
import { readLabJson } from './netns-lab-info.ts';
import { labNamespaces, teardownArgv } from './topology.ts';

const ROOT_LINK = /^c([0-9a-f]{6})-mg$/;

/** Removes every namespace and link of the lab with this suffix (and kills what runs in it). */
export function sweepSuffix(suffix: string, run: ArgvRunner = runArgv): Promise<TeardownResult> {
  return applyTeardown(labNamespaces(labNames(suffix)), teardownArgv(suffix), run);
}

/** Suffixes of every lab namespace and root link on this machine. */
export async function labSuffixes(run: ArgvRunner = runArgv): Promise<string[]> {
  const found = new Set<string>();
  const ns = await run(['ip', 'netns', 'list']);
  for (const line of ns.stdout.split('\n')) {
    const m = NAMESPACE_PATTERN.exec(line.split(' ')[0] ?? '');
    if (m?.[1]) found.add(m[1]);
  }
  const links = await run(['ip', '-j', 'link', 'show']);
  if (links.code === 0) {
    for (const l of JSON.parse(links.stdout || '[]') as { ifname?: string }[]) {
      const m = ROOT_LINK.exec(l.ifname ?? '');
      if (m?.[1]) found.add(m[1]);
    }
  }
  return [...found].sort();
}

/** The lab directory a root link names in its alias, if the link exists and has one. */
export async function ownerDir(suffix: string, run: ArgvRunner = runArgv): Promise<string | undefined> {
  const r = await run(['ip', '-j', 'link', 'show', 'dev', labNames(suffix).rootLink]);
  if (r.code !== 0) return undefined;
  const [link] = JSON.parse(r.stdout || '[]') as { ifalias?: string }[];
  return link?.ifalias || undefined;
}

/** Whether the lab of `suffix` is still owned: its directory's lab.json records this suffix. */
export async function owned(suffix: string, run: ArgvRunner = runArgv): Promise<boolean> {
  const dir = await ownerDir(suffix, run);
  if (!dir || !existsSync(dir)) return false;
  try {
    return readLabJson(dir)?.['suffix'] === suffix;
  } catch {
    return false; // an unreadable lab.json owns nothing
  }
}

export interface SweepResult {
  swept: string[];
  kept: string[];
}

/**
 * Removes every lab that no lab.json owns. A lab still being made (its root link, which carries the
 * alias, comes last) has no owner yet: do not sweep while another `lab up` runs.
 */
export async function sweepOrphans(run: ArgvRunner = runArgv): Promise<SweepResult> {
  const result: SweepResult = { swept: [], kept: [] };
  for (const suffix of await labSuffixes(run)) {
    if (await owned(suffix, run)) {
      result.kept.push(suffix);
      continue;
    }
    await sweepSuffix(suffix, run);
    result.swept.push(suffix);
  }
  return result;
}
