/**
 * `colo render` as text: per host, the image preparation, the argv one option per line (still a
 * valid shell command), and every QMP phase in the order colo sends them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renderVm, dialectForVersion } from '../../../src/render/index.ts';
import { renderVmText } from '../../../src/ui/render-text.ts';
import { commandLineLines } from '../../../src/ui/command-line-lines.ts';
import { labSpec, onlyVm } from '../render/spec-fixtures.ts';

const qemu = () => ({ dialect: dialectForVersion({ major: 7, minor: 2, micro: 22 }), kvmAvailable: false });

describe('commandLineLines', () => {
  test('the binary, then each option with its value on one line, shell-quoted', () => {
    assert.deepEqual(
      commandLineLines(['/usr/bin/qemu', '-m', '128M', '-S', '-append', 'console=ttyS0 quiet', '-no-hpet']),
      ['/usr/bin/qemu', '-m 128M', '-S', "-append 'console=ttyS0 quiet'", '-no-hpet'],
    );
    assert.deepEqual(commandLineLines([]), []);
  });
});

describe('renderVmText', () => {
  const spec = labSpec();
  const vm = onlyVm(spec);
  const text = renderVmText(renderVm(spec, vm, { qemu, diskSizes: { disk0: 64 * 1024 * 1024 } }));

  test('the phases in the order colo runs them, the live switchover and the resync finish included', () => {
    const order = [
      '--- on b (secondary)',
      'prepare (after start)',
      '--- on a (primary)',
      'start COLO: mirror',
      'start COLO: live switchover (then wait for query-migrate status colo)',
      'once COLO runs: end the resync',
      '--- failover',
    ];
    let at = -1;
    for (const marker of order) {
      const i = text.indexOf(marker, at + 1);
      assert.ok(i > at, `"${marker}" missing or out of order`);
      at = i;
    }
    assert.match(text, /"copy-mode":"write-blocking"/);
    assert.match(text, /"downtime-limit":50/);
  });

  test('the secondary argv block is a valid shell command that gives back the exact argv', () => {
    const args = renderVm(spec, vm, { qemu, diskSizes: { disk0: 64 * 1024 * 1024 } });
    // The secondary's argv block: from the line with the binary to the first line not ending in a backslash.
    const lines = text.split('\n');
    const first = lines.findIndex(
      (l, k) => l.startsWith('  /usr/bin/qemu-system-x86_64 ') && lines.slice(k).some((x) => x.includes('-incoming')),
    );
    assert.ok(first >= 0, 'no argv block');
    let last = first;
    while (lines[last]!.endsWith('\\')) last++;
    const cmd = lines
      .slice(first, last + 1)
      .join('\n')
      .trim();
    // Let the shell parse it (never run it): print each argument on its own line.
    const r = spawnSync('sh', ['-c', `set -- ${cmd}; printf '%s\\n' "$@"`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), args.secondary.argv);
  });
});
