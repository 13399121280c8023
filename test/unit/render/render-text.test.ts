/**
 * `colo render` as text: per step, the remote commands (the argv one option per line, still a
 * valid shell command) and every QMP operation in the order colo runs them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dialectForVersion, renderVmRecipes } from '../../../src/render/index.ts';
import { renderVmText } from '../../../src/ui/views/render/index.ts';
import { commandLineLines } from '../../../src/ui/command-line-lines.ts';
import { labSpec, onlyVm } from './spec-fixtures.ts';
import { startArgv, stepOf } from './recipe-helpers.ts';

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
  const recipes = renderVmRecipes(spec, vm, { qemu });
  const text = renderVmText(recipes);

  test('the phases in the order colo runs them, the live switchover and the resync finish included', () => {
    const order = [
      '--- secondary-start on b',
      'phase secondary-prepare',
      '--- colo-start on a',
      'phase mirror-start',
      'phase switchover-wire',
      'waiting for the primary\'s migration to reach status "colo"',
      'phase resync-cancel',
      '## failover --to secondary',
      'phase failover-secondary',
      '## failover --to primary',
      '# QMP primary-leave-colo on a',
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
    // The secondary's argv block: from the line with the binary (after the secondary-start heading) to the
    // first line not ending in a backslash.
    const lines = text.split('\n');
    const step = lines.indexOf('--- secondary-start on b');
    const first = lines.findIndex((l, k) => k > step && l.startsWith('  /usr/bin/qemu-system-x86_64 '));
    assert.ok(step >= 0 && first >= 0, 'no argv block');
    let last = first;
    while (lines[last]!.endsWith('\\')) last++;
    const cmd = lines
      .slice(first, last + 1)
      .join('\n')
      .trim();
    // Let the shell parse it (never run it): print each argument on its own line.
    const r = spawnSync('sh', ['-c', `set -- ${cmd}; printf '%s\\n' "$@"`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const argv = startArgv(stepOf(recipes.apply, 'secondary-start'));
    assert.ok(argv.includes('-incoming'));
    assert.deepEqual(r.stdout.trimEnd().split('\n'), argv);
  });
});
