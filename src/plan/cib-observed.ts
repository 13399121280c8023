/**
 * `cibadmin -Q` output -> the part of the CIB colo owns (src/render/cluster/cib-model.ts): every
 * property of the `cib-bootstrap-options` set, the resources and location constraints whose id starts
 * with `colo-`. Anything else is not colo's and not read. Pure; throws XmlError on malformed XML.
 */
import { CIB_ID_PREFIX, CIB_PROPERTY_SET } from '../render/cluster/cib-model.ts';
import type { CibLocation, CibModel, CibOp, CibPrimitive, CibResource } from '../render/cluster/cib-model.ts';
import { child, childrenNamed, parseXml, XmlError, type XmlElement } from './xml-tree.ts';

function nv(set: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of childrenNamed(set, 'nvpair'))
    if (p.attrs['name'] !== undefined) out[p.attrs['name']] = p.attrs['value'] ?? '';
  return out;
}

/** Every set of that tag merged (crm and pcs write one; a hand edit may add another). */
function nvAll(e: XmlElement, tag: string): Record<string, string> {
  return Object.assign({}, ...childrenNamed(e, tag).map(nv)) as Record<string, string>;
}

function primitive(e: XmlElement): CibPrimitive {
  const ops: CibOp[] = childrenNamed(child(e, 'operations'), 'op').map((o) => ({
    name: o.attrs['name'] ?? '',
    interval: o.attrs['interval'] ?? '',
    timeout: o.attrs['timeout'] ?? '',
    ...(o.attrs['role'] !== undefined ? { role: o.attrs['role'] } : {}),
  }));
  return {
    id: e.attrs['id'] ?? '',
    class: e.attrs['class'] ?? '',
    ...(e.attrs['provider'] !== undefined ? { provider: e.attrs['provider'] } : {}),
    type: e.attrs['type'] ?? '',
    params: nvAll(e, 'instance_attributes'),
    meta: nvAll(e, 'meta_attributes'),
    ops,
  };
}

function resource(e: XmlElement): CibResource | undefined {
  if (e.name === 'primitive') return { kind: 'primitive', ...primitive(e) };
  if (e.name === 'clone') {
    const p = child(e, 'primitive');
    if (!p) return undefined;
    return { kind: 'clone', id: e.attrs['id'] ?? '', meta: nvAll(e, 'meta_attributes'), primitive: primitive(p) };
  }
  return undefined;
}

const ours = (e: XmlElement): boolean => (e.attrs['id'] ?? '').startsWith(CIB_ID_PREFIX);

export function parseObservedCib(xml: string): CibModel {
  const cib = parseXml(xml);
  if (cib.name !== 'cib') throw new XmlError(`expected <cib>, got <${cib.name}>`);
  const conf = child(cib, 'configuration');
  const set = childrenNamed(child(conf, 'crm_config'), 'cluster_property_set').find(
    (s) => s.attrs['id'] === CIB_PROPERTY_SET,
  );
  const resources = (child(conf, 'resources')?.children ?? [])
    .filter(ours)
    .map(resource)
    .filter((r): r is CibResource => r !== undefined);
  const constraints: CibLocation[] = childrenNamed(child(conf, 'constraints'), 'rsc_location')
    .filter(ours)
    .map((c) => ({
      id: c.attrs['id'] ?? '',
      rsc: c.attrs['rsc'] ?? '',
      node: c.attrs['node'] ?? '',
      score: c.attrs['score'] ?? '',
    }));
  return { properties: nv(set), resources, constraints };
}

/** Ids of colo-named objects whose XML colo could not read as its own (a group, a rule-based location). */
export function unreadableOwnedIds(xml: string): string[] {
  const conf = child(parseXml(xml), 'configuration');
  const out: string[] = [];
  for (const r of child(conf, 'resources')?.children ?? []) if (ours(r) && !resource(r)) out.push(r.attrs['id'] ?? '');
  for (const c of child(conf, 'constraints')?.children ?? [])
    if (ours(c) && (c.name !== 'rsc_location' || c.attrs['node'] === undefined)) out.push(c.attrs['id'] ?? '');
  return out;
}
