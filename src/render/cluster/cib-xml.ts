/**
 * colo's CIB objects (cib-model.ts) as the XML cibadmin takes, every attribute value escaped; element
 * ids derived from the object's id the way crm/pcs name them. Pure.
 */
import { CIB_PROPERTY_SET, type CibLocation, type CibOp, type CibPrimitive, type CibResource } from './cib-model.ts';

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) =>
    ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '"' ? '&quot;' : '&apos;',
  );
}

function attrs(a: Record<string, string | undefined>): string {
  return Object.entries(a)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(v)}"`)
    .join('');
}

function nvpairs(tag: string, owner: string, values: Record<string, string>): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return '';
  const setId = `${owner}-${tag}`;
  const pairs = entries.map(([k, v]) => `<nvpair${attrs({ id: `${setId}-${k}`, name: k, value: v })}/>`).join('');
  return `<${tag}${attrs({ id: setId })}>${pairs}</${tag}>`;
}

function opId(owner: string, op: CibOp): string {
  return `${owner}-${op.name}${op.role ? `-${op.role.toLowerCase()}` : ''}-interval-${op.interval}`;
}

function primitiveXml(p: CibPrimitive): string {
  const ops = p.ops
    .map(
      (o) =>
        `<op${attrs({ id: opId(p.id, o), name: o.name, interval: o.interval, timeout: o.timeout, role: o.role })}/>`,
    )
    .join('');
  return (
    `<primitive${attrs({ id: p.id, class: p.class, provider: p.provider, type: p.type })}>` +
    nvpairs('instance_attributes', p.id, p.params) +
    nvpairs('meta_attributes', p.id, p.meta) +
    (ops ? `<operations>${ops}</operations>` : '') +
    '</primitive>'
  );
}

export function resourceXml(r: CibResource): string {
  if (r.kind === 'primitive') return primitiveXml(r);
  return `<clone${attrs({ id: r.id })}>${primitiveXml(r.primitive)}${nvpairs('meta_attributes', r.id, r.meta)}</clone>`;
}

export function locationXml(c: CibLocation): string {
  return `<rsc_location${attrs({ id: c.id, rsc: c.rsc, node: c.node, score: c.score })}/>`;
}

/** The property set with the given properties, for `cibadmin --modify -o crm_config` (merged by id). */
export function propertiesXml(values: Record<string, string>): string {
  const pairs = Object.entries(values)
    .map(([k, v]) => `<nvpair${attrs({ id: `${CIB_PROPERTY_SET}-${k}`, name: k, value: v })}/>`)
    .join('');
  return `<cluster_property_set${attrs({ id: CIB_PROPERTY_SET })}>${pairs}</cluster_property_set>`;
}

/** The element naming one object, for `cibadmin --delete` (matched by tag and id). */
export function deleteXml(tag: 'primitive' | 'clone' | 'rsc_location', objectId: string): string {
  return `<${tag}${attrs({ id: objectId })}/>`;
}
