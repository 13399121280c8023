/**
 * The stop script (STOP_SCRIPT of src/render/recipes/qemu-process.ts) run for real with `sh` on this
 * machine against fake QEMUs: local processes whose argv carries what colo gives a QEMU (`-name`,
 * `-pidfile`). A missing or wrong pid file must never count a running QEMU as stopped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderQemuStop, vmPaths } from '../../../src/render/index.ts';
import { scriptArgv } from '../../../src/render/recipes/script-argv.ts';
import { labSpec, onlyVm } from './spec-fixtures.ts';

const children: ChildProcess[] = [];

/** A process whose argv is `sh -c LOOP qemu-fake ARGS...`, alive until killed. */
function fakeQemu(args: string[]): ChildProcess {
  const c = spawn('sh', ['-c', 'while :; do sleep 1; done', 'qemu-fake', ...args], { stdio: 'ignore' });
  children.push(c);
  return c;
}

const alive = (pid: number): boolean => spawnSync('kill', ['-0', String(pid)]).status === 0;

async function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return true;
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

describe('the stop script identifies the QEMU by what colo gave it', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-stop-script-'));
  });
  after(async () => {
    for (const c of children) if (c.pid && alive(c.pid)) c.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  function runStop(): { stdout: string; code: number | null } {
    const spec = labSpec();
    spec.hosts['a']!.workDir = root;
    const argv = scriptArgv(renderQemuStop(spec, onlyVm(spec), 'a', 1).body);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
    return { stdout: r.stdout, code: r.status };
  }

  function pidFile(): string {
    const spec = labSpec();
    spec.hosts['a']!.workDir = root;
    return vmPaths(spec, onlyVm(spec), 'a').pidFile;
  }

  test('no pid file, but a process carries our -pidfile (the file was removed by a tmp cleaner): killed', async () => {
    const fake = fakeQemu(['-name', 'lab', '-pidfile', pidFile()]);
    await new Promise((r) => setTimeout(r, 100));
    const res = runStop();
    assert.equal(await exited(fake, 3000), true, `the fake QEMU still runs after the stop said: ${res.stdout}`);
    assert.match(res.stdout, /gone/);
  });

  test("the same VM's QEMU of another host on this machine (same -name, its own -pidfile) is left alone", async () => {
    const other = fakeQemu(['-name', 'lab', '-pidfile', '/srv/other-host/lab/qemu.pid']);
    await new Promise((r) => setTimeout(r, 100));
    const res = runStop();
    assert.match(res.stdout, /gone/);
    assert.equal(await exited(other, 300), false, 'the stop on one host killed the QEMU of the other');
    other.kill('SIGKILL');
  });

  test('a pid file naming another process, and our QEMU (its -pidfile is ours) runs: killed', async () => {
    await mkdir(path.dirname(pidFile()), { recursive: true });
    const fake = fakeQemu(['-name', 'lab', '-pidfile', pidFile()]);
    await writeFile(pidFile(), `${process.pid}\n`);
    await new Promise((r) => setTimeout(r, 100));
    const res = runStop();
    assert.equal(await exited(fake, 3000), true, `the fake QEMU still runs after the stop said: ${res.stdout}`);
    assert.match(res.stdout, /gone/);
    assert.equal(alive(process.pid), true);
  });

  test('a process with "-name lab" and nothing else colo gives a QEMU (find -name lab) is left alone', async () => {
    const other = fakeQemu(['-name', 'lab']);
    await new Promise((r) => setTimeout(r, 100));
    const res = runStop();
    assert.match(res.stdout, /gone/);
    assert.equal(await exited(other, 300), false);
    other.kill('SIGKILL');
  });
});
