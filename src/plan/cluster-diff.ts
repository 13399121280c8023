/**
 * Desired vs observed CIB (src/render/cluster/cib-model.ts) -> the changes apply makes, each with
 * + (create) ~ (update) - (delete), a reason and the cibadmin operation that makes it. A colo property,
 * resource or constraint that exists with another value than colo's was changed outside colo: it is
 * drift, repaired by the update. Missing ones are created (a fresh cluster has none); colo-named ones
 * no VM pair or host of the spec needs are deleted. Properties colo does not set are not compared.
 * Pure.
 */
import type { CibLocation, CibModel, CibOp, CibPrimitive, CibResource } from '../render/cluster/cib-model.ts';
import { deleteXml, locationXml, propertiesXml, resourceXml } from '../render/cluster/cib-xml.ts';

/** What apply runs (cibadmin): modify merges by id; create adds; replace swaps the object of that id. */
export type CibOperation =
  | { op: 'modify'; scope: 'crm_config'; xml: string }
  | { op: 'create' | 'replace'; scope: 'resources' | 'constraints'; xml: string }
  | { op: 'delete'; xml: string };

export interface CibChange {
  /** e.g. "property.stonith-enabled", "resource.colo-web-clone", "constraint.colo-fence-alpha-not-on-alpha". */
  address: string;
  action: 'create' | 'update' | 'delete';
  reason: string;
  /** Changed outside colo (the update repairs it). */
  drift: boolean;
  before?: string;
  after?: string;
  cib: CibOperation;
}

function sortedEntries(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const opKey = (o: CibOp): string => `${o.name}${o.role ? `(${o.role})` : ''}@${o.interval}`;

/** The differences between two primitives, in words ("param vm: a -> b"). */
function primitiveDiff(want: CibPrimitive, have: CibPrimitive, prefix = ''): string[] {
  const out: string[] = [];
  const agent = (p: CibPrimitive): string => `${p.class}:${p.provider ? `${p.provider}:` : ''}${p.type}`;
  if (agent(want) !== agent(have)) out.push(`${prefix}agent ${agent(have)} -> ${agent(want)}`);
  out.push(...mapDiff(`${prefix}param`, want.params, have.params), ...mapDiff(`${prefix}meta`, want.meta, have.meta));
  const wantOps = new Map(want.ops.map((o) => [opKey(o), o.timeout]));
  const haveOps = new Map(have.ops.map((o) => [opKey(o), o.timeout]));
  for (const [k, t] of wantOps) {
    const h = haveOps.get(k);
    if (h === undefined) out.push(`${prefix}op ${k} missing`);
    else if (h !== t) out.push(`${prefix}op ${k} timeout ${h} -> ${t}`);
  }
  for (const k of haveOps.keys()) if (!wantOps.has(k)) out.push(`${prefix}op ${k} not colo's`);
  return out;
}

/** Parameter names whose values a plan never shows (a fence agent's password, key, token...). */
const SECRET_NAME = /pass|secret|key|token|cred/i;

function mapDiff(what: string, want: Record<string, string>, have: Record<string, string>): string[] {
  const out: string[] = [];
  const show = (k: string, v: string | undefined): string => (SECRET_NAME.test(k) ? '(hidden)' : String(v));
  for (const [k, v] of sortedEntries(want)) {
    if (have[k] === undefined) out.push(`${what} ${k} missing (want ${show(k, v)})`);
    else if (have[k] !== v) out.push(`${what} ${k}: ${show(k, have[k])} -> ${show(k, v)}`);
  }
  for (const [k, v] of sortedEntries(have))
    if (want[k] === undefined) out.push(`${what} ${k}=${show(k, v)} not colo's`);
  return out;
}

export function resourceDiff(want: CibResource, have: CibResource): string[] {
  if (want.kind !== have.kind) return [`is a ${have.kind}, colo's is a ${want.kind}`];
  if (want.kind === 'primitive' && have.kind === 'primitive') return primitiveDiff(want, have);
  if (want.kind === 'clone' && have.kind === 'clone') {
    const inner =
      want.primitive.id !== have.primitive.id ? [`primitive ${have.primitive.id} -> ${want.primitive.id}`] : [];
    return [
      ...mapDiff('meta', want.meta, have.meta),
      ...inner,
      ...primitiveDiff(want.primitive, have.primitive, 'primitive '),
    ];
  }
  return [];
}

function propertyChanges(want: CibModel, have: CibModel): CibChange[] {
  const out: CibChange[] = [];
  for (const [name, value] of sortedEntries(want.properties)) {
    const before = have.properties[name];
    if (before === value) continue;
    const drift = before !== undefined;
    out.push({
      address: `property.${name}`,
      action: drift ? 'update' : 'create',
      reason: drift ? `changed outside colo: ${before}, the spec wants ${value}` : `not set; the spec wants ${value}`,
      drift,
      ...(drift ? { before } : {}),
      after: value,
      cib: { op: 'modify', scope: 'crm_config', xml: propertiesXml({ [name]: value }) },
    });
  }
  return out;
}

function resourceChanges(want: CibModel, have: CibModel): CibChange[] {
  const out: CibChange[] = [];
  const haveById = new Map(have.resources.map((r) => [r.id, r]));
  for (const r of want.resources) {
    const h = haveById.get(r.id);
    const xml = resourceXml(r);
    if (!h) {
      out.push({
        address: `resource.${r.id}`,
        action: 'create',
        reason: 'not in the CIB',
        drift: false,
        cib: { op: 'create', scope: 'resources', xml },
      });
      continue;
    }
    const diff = resourceDiff(r, h);
    if (diff.length === 0) continue;
    const cib: CibOperation =
      h.kind === r.kind ? { op: 'replace', scope: 'resources', xml } : { op: 'create', scope: 'resources', xml };
    out.push({
      address: `resource.${r.id}`,
      action: 'update',
      reason: `changed outside colo: ${diff.join('; ')}`,
      drift: true,
      cib,
    });
  }
  const wanted = new Set(want.resources.map((r) => r.id));
  for (const h of have.resources) {
    if (wanted.has(h.id)) continue;
    out.push({
      address: `resource.${h.id}`,
      action: 'delete',
      reason: 'colo-named, and no VM pair or host of the spec needs it',
      drift: false,
      cib: { op: 'delete', xml: deleteXml(h.kind, h.id) },
    });
  }
  return out;
}

const sameLocation = (a: CibLocation, b: CibLocation): boolean =>
  a.rsc === b.rsc && a.node === b.node && a.score === b.score;
const describeLocation = (c: CibLocation): string => `${c.rsc} on ${c.node} score ${c.score}`;

function constraintChanges(want: CibModel, have: CibModel): CibChange[] {
  const out: CibChange[] = [];
  const haveById = new Map(have.constraints.map((c) => [c.id, c]));
  for (const c of want.constraints) {
    const h = haveById.get(c.id);
    const xml = locationXml(c);
    if (!h) {
      out.push({
        address: `constraint.${c.id}`,
        action: 'create',
        reason: 'not in the CIB',
        drift: false,
        after: describeLocation(c),
        cib: { op: 'create', scope: 'constraints', xml },
      });
    } else if (!sameLocation(c, h)) {
      out.push({
        address: `constraint.${c.id}`,
        action: 'update',
        reason: 'changed outside colo',
        drift: true,
        before: describeLocation(h),
        after: describeLocation(c),
        cib: { op: 'replace', scope: 'constraints', xml },
      });
    }
  }
  const wanted = new Set(want.constraints.map((c) => c.id));
  for (const h of have.constraints) {
    if (wanted.has(h.id)) continue;
    out.push({
      address: `constraint.${h.id}`,
      action: 'delete',
      reason: 'colo-named, and the spec does not need it',
      drift: false,
      before: describeLocation(h),
      cib: { op: 'delete', xml: deleteXml('rsc_location', h.id) },
    });
  }
  return out;
}

/**
 * The changes that make `have` into `want`, in the order apply runs them: properties, then resources
 * (a constraint names its resource), then constraints; deletions of constraints before resources.
 */
export function cibChanges(want: CibModel, have: CibModel): CibChange[] {
  const props = propertyChanges(want, have);
  const rscs = resourceChanges(want, have);
  const cons = constraintChanges(want, have);
  const del = (c: CibChange): boolean => c.action === 'delete';
  return [
    ...props,
    ...cons.filter(del),
    ...rscs.filter(del),
    ...rscs.filter((c) => !del(c)),
    ...cons.filter((c) => !del(c)),
  ];
}
