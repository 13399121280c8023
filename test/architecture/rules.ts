/**
 * colo's layering rules, checked over the TypeScript sources (docs/ARCHITECTURE.md explains them):
 * which folder of src/ may import which, no cycles between folders or files, and the size limits.
 * Pure: give it file texts, get the violations. test/unit/architecture.test.ts runs it on src/.
 */
import path from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Path relative to the repository root, e.g. "src/plan/plan.ts". */
  file: string;
  text: string;
}

export interface ImportEdge {
  from: string;
  /** A resolved src/ file, or a bare module name ("node:fs", "ssh2"). */
  to: string;
  typeOnly: boolean;
  line: number;
}

/** The pure core: no I/O, no edge layer. */
const PURE = ['spec', 'render', 'plan'];
const EDGES = ['transport', 'qmp', 'state', 'lab', 'files'];

/** Modules that do I/O (or read the process environment): never in the pure core. */
const NODE_IO = [
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:net',
  'node:dgram',
  'node:http',
  'node:https',
  'node:os',
  'node:readline',
  'node:readline/promises',
  'node:tty',
  'node:process',
  'node:worker_threads',
  'node:cluster',
  'node:dns',
];
/** Libraries that reach the outside world. */
const IO_LIBRARIES = ['ssh2', 'listr2', '@commander-js/extra-typings', 'commander'];

/** What the engine may reach only through src/transport or src/state. */
const ENGINE_FORBIDDEN_NODE = [
  'node:child_process',
  'node:net',
  'node:fs',
  'node:fs/promises',
  'node:dgram',
  'node:http',
  'node:https',
];

/** Layers each layer must not import (values; `import type` of their types is fine, except of cli). */
const FORBIDDEN_LAYERS: Record<string, string[]> = {
  spec: ['transport', 'qmp', 'state', 'engine', 'ui', 'cli', 'lab', 'files', 'render', 'plan'],
  render: ['transport', 'qmp', 'state', 'engine', 'ui', 'cli', 'lab', 'files', 'plan'],
  plan: ['transport', 'qmp', 'state', 'engine', 'ui', 'cli', 'lab', 'files'],
  transport: ['engine', 'ui', 'cli', 'lab', 'state', 'plan'],
  qmp: ['engine', 'ui', 'cli', 'lab', 'state', 'plan', 'transport', 'files'],
  ui: ['transport', 'state', 'engine', 'cli', 'qmp', 'lab', 'files'],
  engine: ['ui', 'cli', 'lab', 'files'],
  state: ['engine', 'ui', 'cli', 'transport', 'qmp', 'lab'],
  lab: ['engine', 'ui', 'cli'],
  files: ['spec', 'render', 'plan', 'engine', 'ui', 'cli', 'transport', 'qmp', 'state', 'lab'],
};

export const LIMITS = { fileLines: 300, functionLines: 80, lineChars: 120 };

export function layerOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1]! : 'root';
}

function parse(f: SourceFile): ts.SourceFile {
  return ts.createSourceFile(f.file, f.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function resolve(from: string, spec: string, known: Set<string>): string {
  if (!spec.startsWith('.')) return spec;
  const p = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  if (known.has(p)) return p;
  for (const alt of [`${p}.ts`, p.replace(/\.js$/, '.ts'), `${p}/index.ts`]) if (known.has(alt)) return alt;
  return p;
}

/** Every import, re-export, dynamic import and `import('x')` type of a file. */
export function importsOf(f: SourceFile, known: Set<string>): ImportEdge[] {
  const sf = parse(f);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node, spec: string, typeOnly: boolean) =>
    edges.push({
      from: f.file,
      to: resolve(f.file, spec, known),
      typeOnly,
      line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
    });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const allTypes = !!c && !c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier.text, !!c?.isTypeOnly || allTypes);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const allTypes = !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier.text, node.isTypeOnly || allTypes);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node, node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) add(node, lit.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

export interface Violation {
  rule: 'layer' | 'node-io' | 'cycle' | 'file-size' | 'function-size' | 'line-length';
  where: string;
  message: string;
}

function layerViolations(edges: ImportEdge[]): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    const from = layerOf(e.from);
    const where = `${e.from}:${e.line}`;
    if (e.to.startsWith('src/')) {
      const to = layerOf(e.to);
      if (to === from || to === 'root') continue;
      if (to === 'cli') out.push({ rule: 'layer', where, message: `${from} imports cli (${e.to}); only cli may` });
      else if (!e.typeOnly && FORBIDDEN_LAYERS[from]?.includes(to)) {
        out.push({ rule: 'layer', where, message: `${from} must not import ${to} (${e.to})` });
      }
      continue;
    }
    if (e.typeOnly) continue;
    const bare = e.to.startsWith('node:') ? e.to : e.to.split('/')[0]!.startsWith('@') ? e.to : e.to.split('/')[0]!;
    if (PURE.includes(from) && (NODE_IO.includes(e.to) || IO_LIBRARIES.includes(bare))) {
      out.push({ rule: 'node-io', where, message: `${from} is pure and must not import ${e.to}` });
    }
    if (from === 'engine' && ENGINE_FORBIDDEN_NODE.includes(e.to)) {
      out.push({
        rule: 'node-io',
        where,
        message: `engine must not import ${e.to}: reach the host through src/transport, files through src/state`,
      });
    }
  }
  return out;
}

/** Strongly connected components with more than one member (Tarjan). */
export function cycles(nodes: string[], edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) strong(n);
  return out;
}

function cycleViolations(files: SourceFile[], edges: ImportEdge[]): Violation[] {
  const fileGraph = new Map<string, Set<string>>();
  const folderGraph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!e.to.startsWith('src/')) continue;
    if (!fileGraph.has(e.from)) fileGraph.set(e.from, new Set());
    fileGraph.get(e.from)!.add(e.to);
    const [a, b] = [layerOf(e.from), layerOf(e.to)];
    if (a !== b && a !== 'root' && b !== 'root') {
      if (!folderGraph.has(a)) folderGraph.set(a, new Set());
      folderGraph.get(a)!.add(b);
    }
  }
  const out: Violation[] = [];
  for (const c of cycles([...new Set(files.map((f) => layerOf(f.file)))], folderGraph)) {
    out.push({ rule: 'cycle', where: c.join(' <-> '), message: `folders import each other: ${c.join(', ')}` });
  }
  for (const c of cycles(
    files.map((f) => f.file),
    fileGraph,
  )) {
    out.push({ rule: 'cycle', where: c[0]!, message: `files import each other in a circle: ${c.join(', ')}` });
  }
  return out;
}

/** Functions (declarations, methods, arrows, expressions) longer than the limit, with their line spans. */
export function longFunctions(
  f: SourceFile,
  limit = LIMITS.functionLines,
): { name: string; line: number; lines: number }[] {
  const sf = parse(f);
  const out: { name: string; line: number; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > limit) {
        const named = node as ts.FunctionLikeDeclaration;
        const name =
          named.name && ts.isIdentifier(named.name)
            ? named.name.text
            : ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
              ? node.parent.name.text
              : '(anonymous)';
        out.push({ name, line: start + 1, lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function sizeViolations(files: SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    const lines = f.text.replace(/\n$/, '').split('\n');
    if (f.file.startsWith('src/') && lines.length > LIMITS.fileLines) {
      out.push({ rule: 'file-size', where: f.file, message: `${lines.length} lines (limit ${LIMITS.fileLines})` });
    }
    if (f.file.startsWith('src/')) {
      for (const fn of longFunctions(f)) {
        out.push({
          rule: 'function-size',
          where: `${f.file}:${fn.line}`,
          message: `function ${fn.name} is ${fn.lines} lines (limit ${LIMITS.functionLines})`,
        });
      }
    }
    lines.forEach((l, i) => {
      if ([...l].length > LIMITS.lineChars) {
        out.push({ rule: 'line-length', where: `${f.file}:${i + 1}`, message: `${[...l].length} characters` });
      }
    });
  }
  return out;
}

/** Every violation of the rules in `files` (src/ files are layered; all files get the line limit). */
export function checkArchitecture(files: SourceFile[]): Violation[] {
  const src = files.filter((f) => f.file.startsWith('src/'));
  const known = new Set(src.map((f) => f.file));
  const edges = src.flatMap((f) => importsOf(f, known));
  return [...layerViolations(edges), ...cycleViolations(src, edges), ...sizeViolations(files)];
}

export { EDGES, PURE };
