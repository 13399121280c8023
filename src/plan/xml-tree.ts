/**
 * A small XML parser for what Pacemaker's tools print (cibadmin -Q, crm_mon --output-as=xml): elements,
 * attributes, text; comments, processing instructions and the DOCTYPE are skipped; the five named
 * entities and numeric character references are decoded. No namespaces, no DTD. Throws XmlError on
 * malformed input. Pure.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = NAMED[e];
    if (v === undefined) throw new XmlError(`unknown entity ${whole}`);
    return v;
  });
}

const ATTR = /\s*([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
const NAME = /[A-Za-z_:][\w:.-]*/y;

/** Parses one document; returns its root element. */
export function parseXml(text: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk.trim() !== '') {
      const top = stack[stack.length - 1];
      if (!top) throw new XmlError(`text outside the root element at offset ${i}`);
      top.text += decodeEntities(chunk);
    }
    if (lt < 0) break;
    i = skipOrClose(text, lt, stack);
    if (i >= 0) continue;
    const el = openTag(text, lt);
    i = el.end;
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el.element);
    else if (root) throw new XmlError('more than one root element');
    else root = el.element;
    if (!el.selfClosing) stack.push(el.element);
  }
  if (stack.length > 0) throw new XmlError(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) throw new XmlError('no element');
  return root;
}

/** Comments, PIs, DOCTYPE, CDATA-less closing tags: the offset after them, or -1 for an opening tag. */
function skipOrClose(text: string, lt: number, stack: XmlElement[]): number {
  const skip = (open: string, close: string): number => {
    const end = text.indexOf(close, lt + open.length);
    if (end < 0) throw new XmlError(`unterminated ${open}`);
    return end + close.length;
  };
  if (text.startsWith('<!--', lt)) return skip('<!--', '-->');
  if (text.startsWith('<?', lt)) return skip('<?', '?>');
  if (text.startsWith('<!', lt)) return skip('<!', '>');
  if (text.startsWith('</', lt)) {
    const end = text.indexOf('>', lt);
    if (end < 0) throw new XmlError('unterminated closing tag');
    const name = text.slice(lt + 2, end).trim();
    const top = stack.pop();
    if (!top || top.name !== name) throw new XmlError(`</${name}> does not close <${top?.name ?? ''}>`);
    return end + 1;
  }
  return -1;
}

function openTag(text: string, lt: number): { element: XmlElement; end: number; selfClosing: boolean } {
  NAME.lastIndex = lt + 1;
  const m = NAME.exec(text);
  if (!m) throw new XmlError(`bad tag at offset ${lt}`);
  const element: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
  let i = NAME.lastIndex;
  for (;;) {
    ATTR.lastIndex = i;
    const a = ATTR.exec(text);
    if (!a) break;
    element.attrs[a[1]!] = decodeEntities(a[3] ?? a[4] ?? '');
    i = ATTR.lastIndex;
  }
  while (/\s/.test(text[i] ?? '')) i++;
  if (text.startsWith('/>', i)) return { element, end: i + 2, selfClosing: true };
  if (text[i] === '>') return { element, end: i + 1, selfClosing: false };
  throw new XmlError(`bad tag <${element.name}> at offset ${lt}`);
}

/** Child elements named `name`. */
export function childrenNamed(e: XmlElement | undefined, name: string): XmlElement[] {
  return e ? e.children.filter((c) => c.name === name) : [];
}

/** The first child element named `name`. */
export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children.find((c) => c.name === name);
}

/** Every descendant (depth first) named `name`. */
export function descendants(e: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (x: XmlElement): void => {
    for (const c of x.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(e);
  return out;
}
