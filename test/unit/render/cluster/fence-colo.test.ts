/**
 * fence_colo (src/render/cluster/fence-colo.ts): the agent text run by a real /bin/sh on config files
 * of the test's own (FENCE_COLO_CONF), with the fence-agents stdin protocol and the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  FENCE_COLO_AGENT,
  FENCE_COLO_PATH,
  renderFenceColoInstall,
  renderFenceTargetConf,
} from '../../../../src/render/cluster/fence-colo.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fence-colo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const agent = path.join(dir, 'fence_colo');
writeFileSync(agent, FENCE_COLO_AGENT, { mode: 0o755 });
const conf = path.join(dir, 'conf');
const log = path.join(dir, 'fence.log');
const record = path.join(dir, 'record');

function install(self: string, targets: Parameters<typeof renderFenceColoInstall>[1]): void {
  rmSync(conf, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', conf]);
  for (const f of renderFenceColoInstall(self, targets)) {
    if (f.path === FENCE_COLO_PATH) continue;
    writeFileSync(path.join(conf, path.basename(f.path)), f.text, { mode: f.mode });
  }
}

function run(input: string, args: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(agent, args, {
    input,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FENCE_COLO_CONF: conf, FENCE_COLO_LOG: log },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// the fence command: records its argv and one env variable, exits with $1
const recorder = ['sh', '-c', 'printf "%s|" "$@" > "$0"; printf "%s" "$SECRET" >> "$0"; exit "$1"', record];

describe('fence_colo', () => {
  it('prints its metadata with the actions Pacemaker needs', () => {
    const r = run('action=metadata\n');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^<\?xml/);
    for (const a of ['off', 'reboot', 'on', 'status', 'monitor', 'list', 'metadata'])
      assert.match(r.stdout, new RegExp(`<action name="${a}"`));
    assert.match(r.stdout, /<parameter name="plug"/);
  });

  it('off runs the target fence command with its argv (no shell) and env, and logs it', () => {
    install('alpha', [
      { host: 'alpha', command: ['false'], timeoutMs: 5000 },
      { host: 'beta', command: [...recorder, '0', 'a b', "it's; $(x)"], timeoutMs: 5000, env: { SECRET: 's3cr3t' } },
    ]);
    assert.equal(existsSync(path.join(conf, 'alpha.conf')), false, 'no config to fence itself');
    const r = run('action=off\nplug=beta\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(record, 'utf8'), "0|a b|it's; $(x)|s3cr3t");
    const l = readFileSync(log, 'utf8');
    assert.match(l, /off beta: done/);
    assert.doesNotMatch(l, /s3cr3t/);
  });

  it('reboot powers off too, with -o/-n on the command line', () => {
    rmSync(record, { force: true });
    const r = run('', ['-o', 'reboot', '-n', 'beta']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(record));
  });

  it('fails when the fence command fails, or runs past its timeout', () => {
    install('alpha', [{ host: 'beta', command: [...recorder, '3'], timeoutMs: 5000 }]);
    assert.equal(run('action=reboot\nport=beta\n').code, 1);
    install('alpha', [{ host: 'beta', command: ['sleep', '30'], timeoutMs: 1000 }]);
    const t0 = Date.now();
    assert.equal(run('action=off\nplug=beta\n').code, 1);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('refuses to fence itself, an unknown host and a bad name', () => {
    install('alpha', [{ host: 'beta', command: [...recorder, '0'], timeoutMs: 5000 }]);
    assert.equal(run('action=off\nplug=alpha\n').code, 1);
    assert.match(readFileSync(log, 'utf8'), /off alpha: refused, that is this host/);
    assert.equal(run('action=off\nplug=gamma\n').code, 1);
    assert.equal(run('action=off\nplug=../x\n').code, 1);
  });

  it('status is unknown without a probe, else the probe decides; on is refused', () => {
    install('alpha', [{ host: 'beta', command: ['true'], timeoutMs: 5000 }]);
    assert.equal(run('action=status\nplug=beta\n').code, 1);
    install('alpha', [{ host: 'beta', command: ['true'], timeoutMs: 5000, status: ['sh', '-c', 'exit 2'] }]);
    assert.equal(run('action=status\nplug=beta\n').code, 2);
    install('alpha', [{ host: 'beta', command: ['true'], timeoutMs: 5000, status: ['true'] }]);
    assert.equal(run('action=status\nplug=beta\n').code, 0);
    assert.equal(run('action=on\nplug=beta\n').code, 1);
  });

  it('list names the hosts; monitor fails when a command cannot run', () => {
    install('alpha', [{ host: 'beta', command: ['true'], timeoutMs: 5000 }]);
    assert.deepEqual(run('action=list\n').stdout.trim().split('\n'), ['beta']);
    assert.equal(run('action=monitor\n').code, 0);
    install('alpha', [{ host: 'beta', command: ['/nonexistent/fence'], timeoutMs: 5000 }]);
    assert.equal(run('action=monitor\n').code, 1);
  });

  it('refuses values the config cannot carry', () => {
    assert.throws(() => renderFenceTargetConf({ host: 'b', command: ['a\nb'], timeoutMs: 1 }), /newline/);
    assert.throws(() => renderFenceTargetConf({ host: 'b', command: ['x'], timeoutMs: 1, env: { 'A-B': '1' } }));
    assert.throws(() => renderFenceTargetConf({ host: '../b', command: ['x'], timeoutMs: 1 }));
    assert.throws(() => renderFenceTargetConf({ host: 'b', command: [], timeoutMs: 1 }));
  });
});
