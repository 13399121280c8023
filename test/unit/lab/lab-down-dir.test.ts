/**
 * `colo lab down --dir D` removes D, never the directory D/lab.json records (a lab.json edited or
 * copied from another lab), and stops no sshd whose pid file lab.json places outside D.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { insideDir } from '../../../src/lab/lab-dir.ts';
import { labDown } from '../../../src/lab/lab.ts';
import { netnsLabDown } from '../../../src/lab/netns/netns-lab.ts';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'colo-labdown-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A process that stands for someone's sshd, with its pid file outside the lab. */
async function bystander(): Promise<{ pidFile: string; alive: () => boolean; stop: () => void }> {
  const p = spawn('sleep', ['60'], { stdio: 'ignore' });
  const pidFile = path.join(root, `bystander-${p.pid}.pid`);
  await writeFile(pidFile, `${p.pid}\n`);
  return {
    pidFile,
    alive: () => p.exitCode === null && p.signalCode === null,
    stop: () => p.kill('SIGKILL'),
  };
}

describe('lab down --dir', () => {
  test('insideDir', () => {
    assert.equal(insideDir('/a/lab', '/a/lab/ssh/alpha/sshd.pid'), true);
    assert.equal(insideDir('/a/lab', '/a/lab'), false);
    assert.equal(insideDir('/a/lab', '/a/lab/../other/x.pid'), false);
    assert.equal(insideDir('/a/lab', '/a/labx/x.pid'), false);
    assert.equal(insideDir('/a/lab', '/run/sshd.pid'), false);
  });

  test('loopback lab: D is removed, the dir recorded in lab.json and an outside pid file are left alone', async () => {
    const lab = path.join(root, 'lab1');
    const victim = path.join(root, 'precious');
    await mkdir(victim);
    await writeFile(path.join(victim, 'keep'), 'x');
    await mkdir(path.join(lab, 'hosts', 'alpha'), { recursive: true });
    const other = await bystander();
    try {
      const info = { dir: victim, hosts: [{ name: 'alpha', pidFile: other.pidFile }], vms: [] };
      await writeFile(path.join(lab, 'lab.json'), JSON.stringify(info));
      await labDown(lab);
      assert.ok(!existsSync(lab), 'the lab directory given is removed');
      assert.ok(existsSync(path.join(victim, 'keep')), 'the directory lab.json names is not');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(other.alive(), 'a process whose pid file is outside the lab is not stopped');
    } finally {
      other.stop();
    }
  });

  test('netns lab: the same', async () => {
    const lab = path.join(root, 'lab2');
    const victim = path.join(root, 'precious2');
    await mkdir(victim);
    await mkdir(lab);
    const other = await bystander();
    try {
      const info = {
        network: 'netns',
        suffix: 'f00d42',
        dir: victim,
        hosts: [{ name: 'alpha', sshd: { pidFile: other.pidFile } }],
      };
      await writeFile(path.join(lab, 'lab.json'), JSON.stringify(info));
      await netnsLabDown(lab, async () => {
        return { code: 0, stdout: '', stderr: '' };
      });
      assert.ok(!existsSync(lab));
      assert.ok(existsSync(victim));
      assert.ok(other.alive());
    } finally {
      other.stop();
    }
  });
});
