/**
 * The guest's serial console is the guest's text: the observe script (HOST_OBSERVE_SCRIPT, run here
 * with `sh` on a local work directory) sends at most a few capped lines of it however big it is, and
 * parseHostReport makes them plain (no escape sequences, no control characters) before any message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderHostObserve } from '../../../src/render/index.ts';
import { scriptArgv } from '../../../src/render/recipes/script-argv.ts';
import { parseHostReport } from '../../../src/plan/observe-replies.ts';
import { plainConsoleLine } from '../../../src/plan/console-text.ts';
import { probeBinaryVersion } from '../../../src/qmp/probe.ts';
import { labSpec } from './spec-fixtures.ts';

describe('the guest console as colo reads it', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-console-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('a huge console with a huge crash line and escape sequences: a few plain, capped lines', async () => {
    await mkdir(path.join(root, 'lab'), { recursive: true });
    const evil =
      '\u001b[2J\u001b]0;owned\u0007[    1.0] Kernel panic - not syncing: \u001b[31mboom\u001b[0m\u0008\u0008' +
      'A'.repeat(200 << 10);
    const many = Array.from({ length: 20 }, (_, i) => `[ ${i}] BUG: line ${i}\r\n`).join('');
    await writeFile(path.join(root, 'lab', 'console.log'), `${'x'.repeat(3 << 20)}\r\n${evil}\r\n${many}`);
    const spec = labSpec();
    spec.hosts['a']!.workDir = root;
    const argv = scriptArgv(renderHostObserve(spec, 'a', ['lab']).body);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.length < 8192, `the host sent ${r.stdout.length} bytes`);
    const crash = parseHostReport('a', r.stdout, probeBinaryVersion).vms['lab']!.crash;
    assert.ok(crash.length > 0 && crash.length <= 5, JSON.stringify(crash));
    for (const line of crash) {
      assert.ok(line.length <= 513, `a line of ${line.length} characters`);
      assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/);
    }
  });

  test('escape sequences and control characters are removed, text kept', () => {
    const raw = '\u001b[2J\u001b]0;owned\u0007[ 1.0] Kernel panic:\u001b[31m boom\u001b[0m\tend\u0007\u009b6n\r';
    assert.equal(plainConsoleLine(raw), '[ 1.0] Kernel panic: boom end');
    const b64 = Buffer.from(`${raw}\n`).toString('base64');
    const r = parseHostReport('a', `vm lab 1 0 - ${b64}\n`, probeBinaryVersion);
    assert.deepEqual(r.vms['lab']?.crash, ['[ 1.0] Kernel panic: boom end']);
  });
});
