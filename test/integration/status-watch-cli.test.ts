/**
 * `colo status --watch` as a process (the built CLI, no terminal): it refreshes every --interval
 * until stopped, without --count too; a refresh that finds a command that changes the hosts holding
 * the state lock is skipped and says who holds it; bad --count / --interval / --sample are refused.
 * Two `local: true` hosts, nothing deployed: observation runs here, no SSH or QEMU needed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireLock } from '../../src/state/lock.ts';
import { colo, COLO_BIN } from '../helpers/cli.ts';

describe('colo status --watch (no terminal)', () => {
  let dir: string;
  let spec: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'colo-watch-'));
    spec = path.join(dir, 'colo.yaml');
    await writeFile(
      spec,
      [
        'apiVersion: colo/v1',
        'hosts:',
        `  alpha: { local: true, replicationAddress: 127.0.0.1, workDir: ${dir}/alpha }`,
        `  beta: { local: true, replicationAddress: 127.0.0.2, workDir: ${dir}/beta }`,
        'vms:',
        '  web:',
        '    primary: alpha',
        '    secondary: beta',
        '    machine: { accel: tcg, memory: 128M }',
        `    boot: { kernel: ${dir}/vmlinuz }`,
        `    disks: [{ id: disk0, image: ${dir}/disk0.qcow2 }]`,
        '    netdevs: [{ id: net0, backend: user }]',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `colo status --watch ...args` until `frames` headings were printed, then SIGINT. */
  function watch(args: string[], frames: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [COLO_BIN, 'status', '-f', spec, '--watch', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1', CI: '1' },
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if ((stdout.match(/^colo status at /gm) ?? []).length >= frames) child.kill('SIGINT');
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
    });
  }

  test('without --count it refreshes until Ctrl-C, a plain block per refresh', async () => {
    const r = await watch(['--interval', '1s'], 3);
    const headings = r.stdout.match(/^colo status at \S+ \(every 1 s\)$/gm) ?? [];
    assert.equal(headings.length, 3, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/^web: NOT-DEPLOYED/gm) ?? []).length, 3);
    assert.doesNotMatch(r.stdout, /\u001b/, 'no escape sequences without a terminal');
    assert.equal(r.code, 130);
  });

  test('a refresh while colo apply holds the state lock is skipped and names the holder', async () => {
    const lock = await acquireLock(path.join(dir, '.colo', 'state.json'), 'apply');
    try {
      const r = await watch(['--interval', '1s'], 2);
      assert.match(r.stdout, new RegExp(`refresh skipped, colo apply \\(pid ${process.pid} on [^)]+\\) holds`));
    } finally {
      await lock.release();
    }
    const json = await colo(['status', '-f', spec, '--watch', '--json', '--count', '2', '--interval', '1s']);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines)
      assert.equal((JSON.parse(l) as { vms: { health: string }[] }).vms[0]!.health, 'not-deployed');
  });

  test('bad --count, --interval or --sample: a clear message, exit 1', async () => {
    for (const [args, msg] of [
      [['--count', '0'], /--count: "0" is not a count of refreshes/],
      [['--interval', '200ms'], /--interval: "200ms" is shorter than 1s/],
      [['--interval', '2s', '--sample', '2s'], /--sample \(2s\) must be shorter than --interval \(2s\)/],
    ] as const) {
      const r = await colo(['status', '-f', spec, '--watch', ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, msg);
    }
  });
});
