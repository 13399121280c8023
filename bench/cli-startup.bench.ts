/**
 * CLI start-up: `colo --version` (Node start-up and colo's module graph) and `colo validate` on the
 * 100-pair spec (plus spec loading and checks), next to `node -e 0` (Node alone) measured in the
 * same run. The 100-pair spec is also validated written with YAML anchors/aliases for the shared
 * boot settings, the way large specs are written by hand, because spec loading time depends on it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { colo, expectCode, ROOT } from './lib/cli.ts';
import { withLab } from './lib/lab.ts';
import { writeScaledSpec } from './lib/specgen.ts';
import { median } from './lib/stats.ts';
import { emptyResult, type Benchmark } from './lib/types.ts';

/**
 * ms for compiling the spec's JSON Schema with ajv in a fresh Node process (every colo command that reads a spec does
 * it once).
 */
function schemaCompile(): Promise<number> {
  const url = pathToFileURL(path.join(ROOT, 'dist', 'spec', 'schema.js')).href;
  return new Promise((resolve, reject) => {
    const code =
      `const m = await import(${JSON.stringify(url)}); const t = performance.now(); ` +
      `m.specValidator(); process.stdout.write(String(performance.now() - t));`;
    const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (c) =>
      c === 0 && Number.isFinite(Number(out))
        ? resolve(Number(out))
        : reject(new Error(`schema compile probe exited ${c}: ${out}`)),
    );
  });
}

function nodeBare(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', () => resolve(performance.now() - t0));
  });
}

export const cliStartup: Benchmark = {
  name: 'cli-startup',
  title: 'CLI start-up: colo --version, colo validate (100 pairs)',
  async run(ctx) {
    const res = emptyResult();
    const once400 = { plain: NaN, aliases: NaN };
    await withLab({ log: ctx.log }, async (lab) => {
      const plain = await writeScaledSpec(lab.specFile, 100, path.join(lab.dir, 'bench-100-pairs.yaml'));
      const aliased = await writeScaledSpec(lab.specFile, 100, path.join(lab.dir, 'bench-100-pairs-aliases.yaml'), {
        aliases: true,
      });
      const versionOut = expectCode(await colo(['--version']), 'colo --version').stdout.trim();
      expectCode(await colo(['validate', '-f', plain]), 'colo validate (100 pairs)');
      expectCode(await colo(['validate', '-f', aliased]), 'colo validate (100 pairs, aliases)');
      for (let run = 0; run < ctx.runs; run++) {
        const rec = {
          run: run + 1,
          nodeMs: Math.round(await nodeBare()),
          versionMs: Math.round(expectCode(await colo(['--version']), 'colo --version').ms),
          validate100Ms: Math.round(expectCode(await colo(['validate', '-f', plain]), 'colo validate').ms),
          validate100AliasesMs: Math.round(expectCode(await colo(['validate', '-f', aliased]), 'colo validate').ms),
          schemaCompileMs: Math.round(await schemaCompile()),
        };
        ctx.log(`cli-startup run ${run + 1}: ${JSON.stringify(rec)}`);
        res.runs.push(rec);
      }
      res.notes.push(`colo --version prints ${JSON.stringify(versionOut)}.`);
      // How spec loading scales with aliases: once each at 400 pairs (slow with aliases, so not repeated).
      const plain400 = await writeScaledSpec(lab.specFile, 400, path.join(lab.dir, 'bench-400-pairs.yaml'));
      const aliased400 = await writeScaledSpec(lab.specFile, 400, path.join(lab.dir, 'bench-400-pairs-aliases.yaml'), {
        aliases: true,
      });
      once400.plain = Math.round(expectCode(await colo(['validate', '-f', plain400]), 'colo validate (400 pairs)').ms);
      once400.aliases = Math.round(
        expectCode(await colo(['validate', '-f', aliased400]), 'colo validate (400 pairs, aliases)').ms,
      );
      ctx.log(`cli-startup: validate 400 pairs ${once400.plain} ms, with aliases ${once400.aliases} ms`);
    });
    const runs = res.runs as {
      nodeMs: number;
      versionMs: number;
      validate100Ms: number;
      validate100AliasesMs: number;
      schemaCompileMs: number;
    }[];
    res.metrics.push(
      { name: 'node -e 0 (Node alone, for reference)', unit: 'ms', samples: runs.map((r) => r.nodeMs) },
      { name: 'colo --version', unit: 'ms', samples: runs.map((r) => r.versionMs) },
      { name: 'colo validate, 100 pairs', unit: 'ms', samples: runs.map((r) => r.validate100Ms) },
      {
        name: 'colo validate, 100 pairs written with YAML aliases',
        unit: 'ms',
        samples: runs.map((r) => r.validate100AliasesMs),
      },
      {
        name: 'compiling the spec JSON Schema (ajv), part of every command that reads a spec',
        unit: 'ms',
        samples: runs.map((r) => r.schemaCompileMs),
      },
      { name: 'colo validate, 400 pairs (once)', unit: 'ms', samples: [once400.plain] },
      { name: 'colo validate, 400 pairs written with YAML aliases (once)', unit: 'ms', samples: [once400.aliases] },
    );
    const m = (k: keyof (typeof runs)[0]) => Math.round(median(runs.map((r) => r[k])));
    res.notes.push(
      `Medians: Node alone ${m('nodeMs')} ms; colo --version ${m('versionMs')} ms ` +
        `(${m('versionMs') - m('nodeMs')} ms of module loading); validate of 100 pairs ${m('validate100Ms')} ms ` +
        `(${m('validate100Ms') - m('versionMs')} ms of spec loading and checks, of which ` +
        `${m('schemaCompileMs')} ms compiling the JSON Schema with ajv, whatever the spec's size); the same ` +
        `spec with YAML aliases ${m('validate100AliasesMs')} ms. At 400 pairs (one run each): ${once400.plain} ` +
        `ms spelled out, ${once400.aliases} ms with aliases (src/spec/yaml-document.ts resolves all aliases in ` +
        `one walk of the document).`,
    );
    return res;
  },
};
