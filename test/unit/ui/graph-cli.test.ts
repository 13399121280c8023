/**
 * `colo graph` through the real command line (src/cli/commands/graph.ts): formats, the state's
 * roles (explicit --state and the default beside the spec), a VM filter and the errors. No host
 * is contacted; temp dirs only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderGraphDot } from '../../../src/ui/views/graph/graph-dot.ts';
import { renderGraphText } from '../../../src/ui/views/graph/graph-text.ts';
import { EXAMPLES_DIR, loadExample } from '../render/spec-fixtures.ts';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
let runner = '';

/** Runs colo's CLI from the sources in a child process (its own stdout/stderr). */
function colo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', runner, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const STATE = {
  version: 1,
  lineage: '8d0b7a52-3c1e-4f43-9a57-0f6a1c2b9e10',
  serial: 2,
  coloVersion: '0.1.0',
  vms: {
    web: {
      primaryHost: 'beta',
      secondaryHost: 'alpha',
      primaryOrigin: 'promoted-secondary',
      status: 'degraded',
      started: {},
      created: {},
    },
  },
};

describe('colo graph (CLI)', () => {
  let dir: string;
  let spec: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'colo-graph-'));
    spec = path.join(dir, 'colo.yaml');
    runner = path.join(dir, 'colo-cli.mjs');
    await writeFile(
      runner,
      `const { runCli } = await import(${JSON.stringify(pathToFileURL(MAIN).href)});\nprocess.exitCode = await ` +
        `runCli(process.argv);\n`,
    );
    await copyFile(path.join(EXAMPLES_DIR, 'pair.yaml'), spec);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('text by default, with the spec roles when there is no state file', async () => {
    const r = await colo(['graph', '-f', spec]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('# colo graph: 1 VM pair on 2 hosts\n'));
    assert.ok(r.stdout.includes('=== vm web: primary alpha, secondary beta (roles from the spec)\n'));
    // the same as the renderer on the same spec (paths are not part of the rendering)
    const loaded = await loadExample('pair.yaml');
    assert.equal(
      r.stdout.replace(/ssh root@[^ ]+/g, ''),
      renderGraphText({ ...loaded, file: spec }, null).replace(/ssh root@[^ ]+/g, ''),
    );
  });

  test('--format dot prints a digraph', async () => {
    const r = await colo(['graph', '-f', spec, '--format', 'dot']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('\ndigraph colo {\n'));
    assert.ok(r.stdout.endsWith('}\n'));
    assert.equal(r.stdout, renderGraphDot(await loadExample('pair.yaml'), null));
  });

  test('--state: roles from that state file', async () => {
    const st = path.join(dir, 'other-state.json');
    await writeFile(st, JSON.stringify(STATE));
    const r = await colo(['graph', '-f', spec, '--state', st]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('=== vm web: primary beta, secondary alpha (roles from the state, status degraded)\n'));
  });

  test('the default state beside the spec is used when it exists', async () => {
    await mkdir(path.join(dir, '.colo'), { recursive: true });
    await writeFile(path.join(dir, '.colo', 'state.json'), JSON.stringify(STATE));
    try {
      const r = await colo(['graph', '-f', spec, '--format', 'dot']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes('"qemu:web@beta" [label="QEMU web: primary (promoted)\\l'));
    } finally {
      await rm(path.join(dir, '.colo'), { recursive: true, force: true });
    }
  });

  test('errors: unknown format, unknown VM, missing spec, unreadable state', async () => {
    const bad = await colo(['graph', '-f', spec, '--format', 'svg']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Allowed choices are text, dot/);
    const vm = await colo(['graph', '-f', spec, 'nope']);
    assert.equal(vm.code, 1);
    assert.match(vm.stderr, /no VM named nope .*\(VMs: web\)/);
    const missing = await colo(['graph', '-f', path.join(dir, 'absent.yaml')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    const st = path.join(dir, 'broken.json');
    await writeFile(st, '{not json');
    const broken = await colo(['graph', '-f', spec, '--state', st]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /is not valid JSON/);
  });
});
