/**
 * Injection attempts through every free-form spec string that reaches a shell line (over real sshd)
 * or a QEMU option (real QEMU): work directories, the disk image and secondaryDir, the kernel,
 * initrd and kernel command line, the QEMU and qemu-img binaries and the firmware directory, each
 * carrying shell syntax ($(), backquotes, ;, quotes, spaces) and QEMU option syntax (commas, `=`).
 * colo must treat each as one literal value: the pair reaches COLO with every file at its literal
 * path, destroy removes what colo created there, and none of the embedded commands ever ran.
 * Strings the schema restricts (names, ids, addresses, interface names, the bridge helper, runAs)
 * are refused before anything runs: test/fixtures/specs/invalid/ (unsafe-name, unsafe-bridge-helper).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { colo, startLab, type TestLab } from '../helpers/lab.ts';

const MARK = `/tmp/cpw-${randomBytes(3).toString('hex')}`;
/** Shell and QEMU option syntax around a command that must never run (one marker file per field). */
const nasty = (field: string) => `${field} a,b=1 '"$(touch ${MARK}-${field})\`touch ${MARK}-${field}\`;x`;
/** Shorter, for the work directories (their unix socket paths must stay within 100 bytes). */
const shortNasty = {
  wa: `a,b=1 '"$(touch ${MARK}-wa)`,
  wb: `a,b=1;\`touch ${MARK}-wb\``,
};

describe('spec strings reach shells and QEMU as literal values', { timeout: 900_000 }, () => {
  let lab: TestLab;
  const paths: Record<string, string> = {};
  const at = (k: string) => paths[k]!;
  before(async () => {
    lab = await startLab();
    const doc = parseDocument(await readFile(lab.spec, 'utf8'));
    const web = (k: (string | number)[]) => ['vms', 'web', ...k];
    const base = path.join(lab.dir, 'x');
    await mkdir(base, { recursive: true });
    paths.alphaWork = path.join(base, shortNasty.wa);
    paths.betaWork = path.join(base, shortNasty.wb);
    paths.secondaryDir = path.join(base, nasty('sd'));
    // the disk image, kernel, initrd, binaries and firmware: copies or links under nasty names
    paths.image = path.join(base, `${nasty('img')}.qcow2`);
    await mkdir(path.dirname(at('image')), { recursive: true }); // the marker's path adds components
    await copyFile(String(doc.getIn(web(['disks', 0, 'image']))), at('image'));
    const link = async (key: string, target: string) => {
      const p = path.join(base, nasty(key));
      paths[key] = p;
      await mkdir(path.dirname(p), { recursive: true });
      await symlink(target, p);
    };
    await link('kernel', String(doc.getIn(web(['boot', 'kernel']))));
    await link('initrd', String(doc.getIn(web(['boot', 'initrd']))));
    await link('qemu', String(doc.getIn(['hosts', 'alpha', 'qemu', 'binary'])));
    await link('img', '/usr/bin/qemu-img');
    const firmware = doc.getIn(['hosts', 'alpha', 'qemu', 'firmware']) as { items: { value: string }[] };
    await link('fw', firmware.items[0]!.value);
    for (const [h, wd] of [
      ['alpha', at('alphaWork')],
      ['beta', at('betaWork')],
    ]) {
      doc.setIn(['hosts', h!, 'workDir'], wd);
      doc.setIn(['hosts', h!, 'qemu', 'binary'], at('qemu'));
      doc.setIn(['hosts', h!, 'qemu', 'img'], at('img'));
      doc.setIn(
        ['hosts', h!, 'qemu', 'firmware'],
        doc.createNode([at('fw'), ...firmware.items.slice(1).map((i) => i.value)]),
      );
    }
    doc.setIn(web(['disks', 0, 'image']), paths.image);
    doc.setIn(web(['disks', 0, 'secondaryDir']), paths.secondaryDir);
    doc.setIn(web(['boot', 'kernel']), paths.kernel);
    doc.setIn(web(['boot', 'initrd']), paths.initrd);
    doc.setIn(web(['boot', 'append']), `${String(doc.getIn(web(['boot', 'append'])))} x=';touch ${MARK}-ap;'`);
    await writeFile(lab.spec, doc.toString({ lineWidth: 0 }));
  });
  after(async () => {
    await lab?.down();
    for (const f of (await readdir('/tmp')).filter((f) => f.startsWith(path.basename(MARK))))
      await rm(path.join('/tmp', f), { force: true });
  });

  async function noneRan(): Promise<void> {
    const ran = (await readdir('/tmp')).filter((f) => f.startsWith(path.basename(MARK)));
    assert.deepEqual(ran, [], 'an embedded command ran');
  }

  test('validate accepts them (they are legal paths)', async () => {
    const r = await colo(['validate', '-f', lab.spec]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('apply brings the pair into COLO with every file at its literal path', async () => {
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /in COLO/);
    for (const f of ['qemu.pid', 'console.log', 'qmp.sock']) {
      assert.ok(existsSync(path.join(at('alphaWork'), 'web', f)), `alpha ${f}`);
      assert.ok(existsSync(path.join(at('betaWork'), 'web', f)), `beta ${f}`);
    }
    assert.ok(existsSync(path.join(at('alphaWork'), '.colo.lock')), 'the host lock took its literal workDir');
    for (const img of ['disk0-base.qcow2', 'disk0-hidden.qcow2', 'disk0-active.qcow2'])
      assert.ok(existsSync(path.join(at('secondaryDir'), 'web', img)), img);
    const pid = (await readFile(path.join(at('alphaWork'), 'web', 'qemu.pid'), 'utf8')).trim();
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    assert.ok(cmdline.split('\0').includes(at('kernel')), 'QEMU got the kernel path as one argument');
    await noneRan();
  });

  test('status, verify and a second apply read everything back unchanged', async () => {
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const v = await colo(['verify', '-f', lab.spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    await noneRan();
  });

  test('destroy removes what colo created under the literal paths, and nothing ran', async () => {
    const r = await colo(['destroy', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await readdir(path.join(at('secondaryDir'), 'web')), []);
    assert.ok(existsSync(at('image')), "the user's image stays");
    await noneRan();
  });
});
