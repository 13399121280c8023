/**
 * The layering rules of docs/ARCHITECTURE.md, enforced: forbidden imports between the folders of
 * src/, cycles between folders and files, and the size limits. First the checker is shown to catch
 * each kind of violation on planted sources; then it must find none in the real tree.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArchitecture, type SourceFile } from '../architecture/rules.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function repoFiles(): SourceFile[] {
  const list = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'test', 'bench'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return list
    .split('\n')
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => {
      try {
        readFileSync(path.join(ROOT, f));
        return true;
      } catch {
        return false; // deleted in the working tree
      }
    })
    .map((file) => ({ file, text: readFileSync(path.join(ROOT, file), 'utf8') }));
}

const rules = (files: SourceFile[]) => checkArchitecture(files).map((v) => `${v.rule} ${v.where}: ${v.message}`);

describe('the architecture checker catches', () => {
  test('a pure layer importing an edge layer or node I/O', () => {
    const found = rules([
      { file: 'src/plan/a.ts', text: "import { x } from '../transport/t.ts';\nimport { readFile } from 'node:fs';\n" },
      { file: 'src/transport/t.ts', text: 'export const x = 1;\n' },
    ]);
    assert.ok(
      found.some((v) => /^layer src\/plan\/a\.ts:1: plan must not import transport/.test(v)),
      found.join('\n'),
    );
    assert.ok(found.some((v) => /^node-io src\/plan\/a\.ts:2: plan is pure and must not import node:fs/.test(v)));
  });
  test('engine reaching around the transport, ui importing the engine, anyone importing cli', () => {
    const found = rules([
      { file: 'src/engine/e.ts', text: "import { connect } from 'node:net';\n" },
      { file: 'src/ui/u.ts', text: "import { run } from '../engine/e.ts';\nimport type { X } from '../cli/c.ts';\n" },
      { file: 'src/cli/c.ts', text: 'export type X = 1;\n' },
    ]);
    assert.ok(
      found.some((v) => /^node-io src\/engine\/e\.ts:1: engine must not import node:net/.test(v)),
      found.join('\n'),
    );
    assert.ok(found.some((v) => /^layer src\/ui\/u\.ts:1: ui must not import engine/.test(v)));
    assert.ok(found.some((v) => /^layer src\/ui\/u\.ts:2: ui imports cli/.test(v)));
  });
  test('type imports are allowed across layers but count for cycles', () => {
    const found = rules([
      { file: 'src/render/r.ts', text: "import type { P } from '../plan/p.ts';\nexport type R = 1;\n" },
      { file: 'src/plan/p.ts', text: "import type { R } from '../render/r.ts';\nexport type P = 2;\n" },
    ]);
    assert.ok(!found.some((v) => v.startsWith('layer')), found.join('\n'));
    assert.ok(
      found.some((v) => /^cycle plan <-> render: folders import each other/.test(v)),
      found.join('\n'),
    );
    assert.ok(found.some((v) => /^cycle src\/plan\/p\.ts: files import each other/.test(v)));
  });
  test('a file cycle inside one folder, re-exports and dynamic imports', () => {
    const found = rules([
      { file: 'src/engine/a.ts', text: "export * from './b.ts';\n" },
      { file: 'src/engine/b.ts', text: "export const f = () => import('./a.ts');\n" },
    ]);
    assert.ok(
      found.some((v) =>
        /^cycle src\/engine\/a\.ts: files import each other in a circle: src\/engine\/a\.ts, src\/engine\/b\.ts/.test(
          v,
        ),
      ),
    );
  });
  test('files, functions and lines over their limits', () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const found = rules([
      { file: 'src/spec/big.ts', text: `${'// x\n'.repeat(301)}export function f() {\n${body}\n}\n` },
      { file: 'test/t.ts', text: `const s = '${'x'.repeat(130)}';\n` },
    ]);
    assert.ok(
      found.some((v) => /^file-size src\/spec\/big\.ts: 388 lines/.test(v)),
      found.join('\n'),
    );
    assert.ok(found.some((v) => /^function-size src\/spec\/big\.ts:302: function f is 87 lines/.test(v)));
    assert.ok(found.some((v) => /^line-length test\/t\.ts:1: 143 characters/.test(v)));
  });
});

describe('the source tree', () => {
  test('has no forbidden import, no cycle, no file, function or line over its limit', () => {
    const found = rules(repoFiles());
    assert.deepEqual(found, [], `\n${found.join('\n')}`);
  });
});
