/**
 * The remote-script executor (src/engine/run-recipe-script.ts) against a transport that runs the
 * argv on this machine: the stop recipe's script for real (a pid file of a process that is gone),
 * and the outcomes (exit 0 required, output expected).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScriptRecipe } from '../../../src/engine/run-recipe-script.ts';
import { renderFilesDelete, renderQemuStop, vmPaths } from '../../../src/render/index.ts';
import { CommandError, type Transport } from '../../../src/transport/types.ts';
import { labSpec, onlyVm } from '../render/spec-fixtures.ts';

function localTransport(seen: string[][]): Transport {
  const run = async (argv: string[]) => {
    seen.push(argv);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { host: 'a', run } as unknown as Transport;
}

describe('runScriptRecipe', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-run-script-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the stop script: a pid file of a process that is gone counts as stopped; its sockets are removed', async () => {
    const spec = labSpec();
    spec.hosts['a']!.workDir = root;
    const vm = onlyVm(spec);
    const paths = vmPaths(spec, vm, 'a');
    await mkdir(paths.dir, { recursive: true });
    const done = spawnSync('true');
    await writeFile(paths.pidFile, `${done.pid}\n`);
    await writeFile(paths.qmpSocket, '');
    const seen: string[][] = [];
    const res = await runScriptRecipe(localTransport(seen), renderQemuStop(spec, vm, 'a', 1));
    assert.match(res.stdout, /gone/);
    assert.equal(existsSync(paths.pidFile), false);
    assert.equal(existsSync(paths.qmpSocket), false);
    assert.equal(seen[0]![0], 'sh');
  });

  test('exit-zero: a failing command is a CommandError naming the program', async () => {
    const t = localTransport([]);
    const spec = labSpec();
    spec.hosts['a']!.workDir = path.join(root, 'no-such-dir');
    const missing = path.join(root, 'no-such-dir', 'lab', 'disk0-base.qcow2');
    await assert.doesNotReject(runScriptRecipe(t, renderFilesDelete(spec, 'a', 'lab', [missing])));
    const bad = {
      ...renderFilesDelete(spec, 'a', 'lab', []),
      body: { kind: 'exec' as const, argv: ['sh', '-c', 'echo nope >&2; exit 3'] },
    };
    await assert.rejects(
      runScriptRecipe(t, bad),
      (e: unknown) => e instanceof CommandError && /exited 3: nope/.test(e.message),
    );
  });

  test('expect: exit 0 without the expected output fails with the recipe words, stdout and stderr', async () => {
    const spec = labSpec();
    const stop = renderQemuStop(spec, onlyVm(spec), 'a', 1);
    const alive = { ...stop, body: { kind: 'exec' as const, argv: ['sh', '-c', 'echo alive; echo held >&2'] } };
    await assert.rejects(
      runScriptRecipe(localTransport([]), alive),
      /^Error: could not stop the QEMU of lab on a \(pid file \/tmp\/colo-lab\/a\/lab\/qemu\.pid\): alive held$/,
    );
  });
});
