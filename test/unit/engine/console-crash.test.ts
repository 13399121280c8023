/**
 * Crash lines read from a guest's serial console (console.log): the serial line discipline ends every
 * line in \r\n, and the \r must not reach colo's messages (seen on real QEMU by the unfit-survivor
 * e2e test: `its guest crashed: "[ 5.07] Kernel panic - not syncing: NMI: Not continuing\r"`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostReport } from '../../../src/plan/observe-replies.ts';
import { probeBinaryVersion } from '../../../src/qmp/probe.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('console crash lines lose the serial \\r', () => {
  const crash = b64('[    5.077319] Kernel panic - not syncing: NMI: Not continuing\r\n[    5.1] Oops: 0000\r\n');
  const r = parseHostReport('beta', `workdir 1\nvm web 4242 1 ${b64('qemu\0')} ${crash}\n`, probeBinaryVersion);
  assert.deepEqual(r.vms['web']?.crash, [
    '[    5.077319] Kernel panic - not syncing: NMI: Not continuing',
    '[    5.1] Oops: 0000',
  ]);
});
