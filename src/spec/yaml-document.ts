/**
 * YAML text -> plain data, with a locator that maps spec paths back to line and column.
 * Syntax errors, duplicate keys and unresolved aliases become positioned diagnostics.
 */
import {
  Composer,
  Document,
  LineCounter,
  Parser,
  YAMLParseError,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  visit,
} from 'yaml';
import type { Alias, CST } from 'yaml';
import type { Node, Pair } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';
import { MAX_YAML_DEPTH, sizeProblem, tooDeepAt } from './input-limits.ts';
import { inPath } from './spec-path.ts';
import type { PathSegment, SpecPath } from './spec-path.ts';

/**
 * What every alias of a document refers to, found in ONE walk (an alias refers to the nearest
 * anchor of its name before it). yaml's own Alias.resolve(doc) walks the whole document for each
 * alias, which made specs with many aliases load in quadratic time.
 */
export function aliasTargets(doc: Document): Map<Alias, Node | undefined> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if ((isScalar(node) || isCollection(node)) && node.anchor) anchors.set(node.anchor, node as Node);
    },
  });
  return targets;
}

export interface Position {
  line: number;
  col: number;
}

/** Finds where a spec path is written in the YAML source. */
export class Locator {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  #aliases: Map<Alias, Node | undefined> | undefined;
  readonly #keyIndex = new WeakMap<object, Map<string, Pair>>();

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  /** Position of an offset in the source text. */
  at(offset: number): Position {
    const { line, col } = this.#lines.linePos(offset);
    return { line, col };
  }

  /**
   * Where `path` is written: its key (`memory:`) or its value (`128M`). When the path does not exist
   * (a missing key, a value reached through a merge), the nearest enclosing place that does.
   */
  position(path: SpecPath, part: 'key' | 'value' = 'value'): Position {
    const root = this.#doc.contents as unknown;
    let best: Position = this.#start(root) ?? { line: 1, col: 1 };
    let node: unknown = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as PathSegment;
      const last = i === path.length - 1;
      const target = this.#deref(node);
      if (isMap(target)) {
        const pair = this.#findPair(target, String(seg), 0);
        if (!pair) return best;
        const keyPos = this.#start(pair.key);
        if (keyPos) best = keyPos;
        if (last && part === 'key') return best;
        node = pair.value;
        const valuePos = this.#start(node);
        if (valuePos) best = valuePos;
      } else if (isSeq(target)) {
        const index = typeof seg === 'number' ? seg : Number(seg);
        const item = Number.isInteger(index) ? target.items[index] : undefined;
        if (item === undefined) return best;
        node = item;
        const itemPos = this.#start(node);
        if (itemPos) best = itemPos;
      } else {
        return best;
      }
    }
    return best;
  }

  /** Whether `path` is written in the document (with any value, even an empty one). */
  has(path: SpecPath): boolean {
    let node: unknown = this.#doc.contents as unknown;
    for (const seg of path) {
      const target = this.#deref(node);
      if (isMap(target)) {
        const pair = this.#findPair(target, String(seg), 0);
        if (!pair) return false;
        node = pair.value;
      } else if (isSeq(target)) {
        const index = typeof seg === 'number' ? seg : Number(seg);
        if (!Number.isInteger(index) || index < 0 || index >= target.items.length) return false;
        node = target.items[index];
      } else {
        return false;
      }
    }
    return true;
  }

  #deref(node: unknown): unknown {
    let n = node;
    this.#aliases ??= aliasTargets(this.#doc);
    for (let hops = 0; isAlias(n) && hops < 100; hops++) n = this.#aliases.get(n);
    return n;
  }

  /** A map's own keys (not merged ones) -> their first pair, built once per map: lookups stay O(1). */
  #ownKeys(map: { items: Pair[] }): Map<string, Pair> {
    let index = this.#keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || isMergeKey(pair.key)) continue;
        const key = String(pair.key.value);
        if (!index.has(key)) index.set(key, pair);
      }
      this.#keyIndex.set(map, index);
    }
    return index;
  }

  #start(node: unknown): Position | undefined {
    if (node === null || typeof node !== 'object') return undefined;
    const range = (node as Node).range;
    if (!range) return undefined;
    // An empty value (`ssh:` with nothing after it) has a zero-length range at the line's end.
    if (isScalar(node) && range[0] === range[1] && node.value === null) return undefined;
    return this.at(range[0]);
  }

  #findPair(map: { items: Pair[] }, key: string, depth: number): Pair | undefined {
    const own = this.#ownKeys(map).get(key);
    if (own) return own;
    if (depth > 10) return undefined;
    // Keys that arrive through `<<: *anchor` point at the anchor's definition.
    for (const pair of map.items) {
      if (!isMergeKey(pair.key)) continue;
      const sources = this.#deref(pair.value);
      const list = isSeq(sources) ? sources.items.map((s) => this.#deref(s)) : [sources];
      for (const source of list) {
        if (!isMap(source)) continue;
        const found = this.#findPair(source, key, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === '<<' || typeof key.value === 'symbol');
}

export interface ParsedYaml {
  /** The document as plain data (maps become objects); undefined when the YAML is unusable. */
  data: unknown;
  locator: Locator;
  diagnostics: Diagnostic[];
  /** True when the syntax is broken beyond duplicate keys: later stages would only add noise. */
  fatal: boolean;
}

/** Parses YAML with positions. Never throws for bad input. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const diagnostics: Diagnostic[] = [];
  const diag = (pos: Position, message: string, severity: Diagnostic['severity'] = 'error'): void => {
    diagnostics.push({ severity, file, line: pos.line, col: pos.col, message });
  };
  const tooBig = sizeProblem(Buffer.byteLength(text));
  if (tooBig !== undefined) {
    diagnostics.push({ severity: 'error', file, line: 0, col: 0, message: tooBig });
    return { data: undefined, locator: new Locator(new Document(), new LineCounter()), diagnostics, fatal: true };
  }

  const lines = new LineCounter();
  // The parser is iterative; composing (and everything after it) recurses, so depth is checked here.
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = tooDeepAt(tokens);
  if (deep !== undefined) {
    diag(
      { line: lines.linePos(deep).line, col: lines.linePos(deep).col },
      `YAML nests deeper than ${MAX_YAML_DEPTH} levels here; a colo spec needs fewer than 10`,
    );
    return { data: undefined, locator: new Locator(new Document(), lines), diagnostics, fatal: true };
  }
  const doc = composeFirst(tokens, text.length);
  const locator = new Locator(doc, lines);

  let fatal = false;
  const linesWithErrors = new Set<number>();
  for (const error of doc.errors) {
    if (error.code === 'DUPLICATE_KEY') continue; // reported below, with the map's path
    fatal = true;
    const pos = locator.at(error.pos[0]);
    if (linesWithErrors.has(pos.line)) continue; // one syntax error per line: the rest is fallout
    linesWithErrors.add(pos.line);
    diag(pos, `YAML syntax error: ${firstLine(error.message)}`);
  }
  for (const warning of doc.warnings)
    diag(locator.at(warning.pos[0]), `YAML: ${firstLine(warning.message)}`, 'warning');

  const targets = aliasTargets(doc);
  walk(doc.contents, [], (node, path) => {
    if (isMap(node)) {
      const firstSeen = new Map<string, Position>();
      for (const pair of node.items) {
        if (!isScalar(pair.key) || isMergeKey(pair.key) || !pair.key.range) continue;
        const key = String(pair.key.value);
        const pos = locator.at(pair.key.range[0]);
        const first = firstSeen.get(key);
        if (first) {
          diag(pos, `duplicate key ${JSON.stringify(key)} ${inPath(path)} (first defined on line ${first.line})`);
        } else {
          firstSeen.set(key, pos);
        }
      }
    } else if (isAlias(node) && targets.get(node) === undefined && node.range) {
      fatal = true;
      diag(
        locator.at(node.range[0]),
        `unknown alias *${node.source}: define the anchor &${node.source} before using it`,
      );
    }
  });

  if (fatal) return { data: undefined, locator, diagnostics, fatal };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    diag({ line: 1, col: 1 }, `cannot use this YAML: ${firstLine(err instanceof Error ? err.message : String(err))}`);
    return { data: undefined, locator, diagnostics, fatal: true };
  }
  return { data, locator, diagnostics, fatal: false };
}

/**
 * The first document of the token stream, as yaml's parseDocument builds it (a second document is
 * a MULTIPLE_DOCS error). Duplicate keys are found by parseYaml in one pass per map: yaml's own
 * uniqueKeys check compares each key with every earlier one (10,000 VMs took seconds).
 */
function composeFirst(tokens: CST.Token[], length: number): Document.Parsed {
  const composer = new Composer({ prettyErrors: false, merge: true, uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(tokens, true, length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(
        new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'),
      );
      break;
    }
  }
  return doc as Document.Parsed;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/\s+at line \d+, column \d+:?\s*$/, '').trim();
}

function walk(node: unknown, path: PathSegment[], visit: (node: unknown, path: SpecPath) => void): void {
  visit(node, path);
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      walk(pair.value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path, i], visit));
  }
}
