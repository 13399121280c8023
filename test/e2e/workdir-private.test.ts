/**
 * The hosts' work directories stay private (real sshd, real QEMU): the images colo has qemu-img create
 * are 0600 in 0700 directories from the start (QEMU's own logs 0640: it sets umask 027 when it
 * daemonizes), and a work
 * directory someone opened up (mode 0755, another owner, world-readable images) is planned as an
 * update and made 0700, owned by the SSH user, its files 0600 again by apply, while the pair runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { colo, startLab, type TestLab } from '../helpers/lab.ts';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

/** Every regular file under a host's work directory (one level of VM directories), with its mode. */
async function fileModes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const vm of await readdir(dir, { withFileTypes: true })) {
    if (!vm.isDirectory()) continue;
    for (const f of await readdir(path.join(dir, vm.name), { withFileTypes: true }))
      if (f.isFile()) out[`${vm.name}/${f.name}`] = await mode(path.join(dir, vm.name, f.name));
  }
  return out;
}

describe('private work directories', { timeout: 600_000 }, () => {
  let lab: TestLab;
  let alpha: string;
  let beta: string;
  before(async () => {
    lab = await startLab();
    alpha = path.join(lab.dir, 'hosts', 'alpha');
    beta = path.join(lab.dir, 'hosts', 'beta');
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  test('what colo, qemu-img and QEMU create is private from the start', async () => {
    for (const dir of [alpha, beta]) {
      assert.equal(await mode(dir), 0o700);
      const files = await fileModes(dir);
      assert.ok(
        Object.keys(files).some((f) => f.endsWith('console.log')),
        JSON.stringify(files),
      );
      // images 0600; QEMU itself sets umask 027 when it daemonizes (its logs are 0640, in a 0700 directory)
      for (const [f, m] of Object.entries(files)) {
        if (f.endsWith('.qcow2')) assert.equal(m, 0o600, `${dir}: ${f} is ${m.toString(8)}`);
        else assert.equal(m & 0o037, 0, `${dir}: ${f} is ${m.toString(8)}`);
      }
    }
    const images = Object.keys(await fileModes(beta)).filter((f) => f.endsWith('.qcow2'));
    assert.equal(images.length, 3, 'the secondary images are among them');
  });

  test('an opened-up work directory is planned as an update and made private again by apply', async () => {
    await chmod(alpha, 0o755);
    await chown(beta, 65534, 65534);
    await chmod(beta, 0o775);
    for (const f of Object.keys(await fileModes(beta))) await chmod(path.join(beta, f), 0o644);
    await chmod(path.join(beta, 'web'), 0o755);
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /host\.alpha.*\n.*work directory .*hosts\/alpha is not private \(mode 0755\)/);
    assert.match(
      plan.stdout,
      /host\.beta.*\n.*not private \(owned by uid 65534, not the SSH user \(uid 0\), mode 0775\)/,
    );
    assert.match(plan.stdout, /0 to add, 2 to change, 0 to destroy/);
    const pids = { alpha: await lab.pid('alpha'), beta: await lab.pid('beta') };
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const dir of [alpha, beta]) {
      const st = await stat(dir);
      assert.equal(st.mode & 0o777, 0o700, dir);
      assert.equal(st.uid, 0, `${dir} owned by the SSH user again`);
      assert.equal(await mode(path.join(dir, 'web')), 0o700);
      for (const [f, m] of Object.entries(await fileModes(dir))) assert.equal(m, 0o600, `${dir}: ${f}`);
    }
    assert.deepEqual({ alpha: await lab.pid('alpha'), beta: await lab.pid('beta') }, pids, 'the pair ran on');
    const again = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout);
  });
});
