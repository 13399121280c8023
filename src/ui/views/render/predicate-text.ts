/** Recipe conditions and messages as text for `colo render`: `jobs[device="resync-disk0"].status = "ready"`. */
import type { PathStep, Predicate, Ref, Template } from '../../../render/recipes/types.ts';

function stepText(s: PathStep): string {
  if (typeof s === 'number') return `[${s}]`;
  if (typeof s === 'string') return /^[\w-]+$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return `[${s.where}=${JSON.stringify(s.equals)}]`;
}

export function refText(r: Ref): string {
  return `${r.fact}${(r.path ?? []).map(stepText).join('')}`;
}

const nested = (p: Predicate) => ('all' in p || 'any' in p ? `(${predicateText(p)})` : predicateText(p));

export function predicateText(p: Predicate): string {
  if ('all' in p) return p.all.map(nested).join(' and ');
  if ('any' in p) return p.any.map(nested).join(' or ');
  if ('not' in p) return `not ${nested(p.not)}`;
  if ('succeeded' in p) return `${JSON.stringify(p.succeeded)} succeeded`;
  const at = refText(p.at);
  if ('equals' in p) return `${at} = ${JSON.stringify(p.equals)}`;
  if ('oneOf' in p) return `${at} in ${JSON.stringify(p.oneOf)}`;
  if ('sameAs' in p) return `${at} = ${refText(p.sameAs)}`;
  if ('present' in p) return p.present ? `${at} exists` : `no ${at}`;
  if ('type' in p) return `${at} is a ${p.type}`;
  if ('bitsSet' in p) return `${at} has bits ${p.bitsSet} set`;
  return `${at} has an entry starting with ${JSON.stringify(p.someStartsWith)}`;
}

export function templateText(t: Template): string {
  return t
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('value' in part) return `<${refText(part.value)}>`;
      if ('difference' in part) return `<${refText(part.difference[0])} - ${refText(part.difference[1])}>`;
      if ('when' in part) return `[if ${predicateText(part.when)}: ${templateText(part.then)}]`;
      return '<the items that hold>';
    })
    .join('');
}
