/**
 * The reconcile engine end to end, against real QEMU through real sshd (the lab):
 * plan from nothing, apply into COLO, No changes, guest service through the primary, an in-place
 * checkpoint change, saved plans and staleness, the state lock, and a re-run after a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  colo,
  editSpec,
  eventually,
  httpGet,
  imagesIdentical,
  parseGuestAnswer,
  startLab,
  type TestLab,
} from '../helpers/lab.ts';
import { acquireLock } from '../../src/state/lock.ts';
import path from 'node:path';
import { readFile } from 'node:fs/promises';

const STRESS_SECONDS = 15;

describe('plan and apply a lab pair into COLO', { timeout: 900_000 }, () => {
  let lab: TestLab;
  before(async () => {
    lab = await startLab();
    // The guest writes its disk without pause for its first 15 s: through the mirror, the live
    // switchover and the first checkpoints (scripts/guest/init, colo_stress).
    await editSpec(lab.spec, (t) => {
      const edited = t.replace(/^(\s+append: .*)$/m, `$1 colo_stress=${STRESS_SECONDS}`);
      assert.notEqual(edited, t, 'no append: line in the lab spec');
      return edited;
    });
  });
  after(async () => {
    await lab?.down();
  });

  test('plan from nothing lists every create, ends with the summary line, exit 2', async () => {
    const r = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(r.code, 2, r.stderr);
    for (const addr of ['vm.web.primary', 'vm.web.secondary.images', 'vm.web.secondary.qemu', 'vm.web.colo'])
      assert.match(r.stdout, new RegExp(`# ${addr.replace(/\./g, '\\.')} on \\w+ will be created`));
    assert.match(r.stdout, /^Plan: 4 to add, 0 to change, 0 to destroy\.$/m);
  });

  test('apply brings the pair into COLO', async () => {
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Apply complete! Resources: 4 added, 0 changed, 0 destroyed\./);
    assert.match(r.stdout, /switchover pause \d+ ms/);
    await lab.withQmp('alpha', async (p) => {
      assert.equal((await p.execute<{ status: string }>('query-migrate')).status, 'colo');
      assert.equal((await p.execute<{ mode: string }>('query-colo-status')).mode, 'primary');
      // checkpoints keep coming: each stops and resumes the primary
      const since = p.eventSeq;
      await p.waitForEvent('RESUME', undefined, { since, timeoutMs: 15_000 });
    });
    await lab.withQmp('beta', async (s) => {
      assert.equal((await s.execute<{ mode: string }>('query-colo-status')).mode, 'secondary');
      const disabled = await s.execute<{ disabled: boolean }>('x-query-virtio-status', {
        path: '/machine/peripheral/nic-net0/virtio-backend',
      });
      assert.equal(disabled.disabled, false);
    });
  });

  test(
    'the live switchover leaves no resync behind; after the guest wrote its disk throughout, the secondary ' +
      'base image equals the primary disk',
    async () => {
      await lab.withQmp('alpha', async (p) => {
        assert.deepEqual(await p.execute('query-block-jobs'), []);
        const nodes = (await p.execute<{ 'node-name': string }[]>('query-named-block-nodes')).map(
          (n) => n['node-name'],
        );
        assert.ok(!nodes.includes('resync-nbd-disk0'), `resync node left: ${nodes.join(', ')}`);
        assert.ok(
          nodes.includes('replication-disk0') && nodes.includes('nbd-disk0'),
          `replication child missing: ${nodes.join(', ')}`,
        );
      });
      // The guest wrote its disk without pause from before the mirror until after COLO started; once
      // it stops, the two images must be equal (replication writes each guest write to both).
      // Its counter still writes sector 0 every 2 s, fsync'd. qemu-img -U reads the images the two
      // QEMUs hold open.
      const consoleLog = path.join(lab.dir, 'hosts', 'alpha', 'web', 'console.log');
      const stress = await eventually(
        'the guest disk stress to end',
        async () => {
          const m = /STRESS done (\d+)/.exec(await readFile(consoleLog, 'utf8'));
          if (!m) throw new Error('not yet');
          return Number(m[1]);
        },
        (STRESS_SECONDS + 30) * 1000,
      );
      assert.ok(stress > 50, `only ${stress} stress writes`);
      const primaryImage = path.join(lab.dir, 'images', 'web-disk0.qcow2');
      const secondaryBase = path.join(lab.dir, 'hosts', 'beta', 'web', 'disk0-base.qcow2');
      const same = await imagesIdentical(primaryImage, secondaryBase);
      assert.match(same, /Images are identical/);
    },
  );

  test('a second plan says No changes and exits 0', async () => {
    const r = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /No changes\. Your infrastructure matches the configuration\./);
  });

  test('the guest answers through the primary while in COLO, and its counter advances', async () => {
    const port = lab.vms[0]!.servicePort;
    const a = parseGuestAnswer(await eventually('guest answers', () => httpGet('127.0.0.11', port, 5000), 60_000));
    await new Promise((r) => setTimeout(r, 2500));
    const b = parseGuestAnswer(await httpGet('127.0.0.11', port, 5000));
    assert.equal(b.boot, a.boot);
    assert.ok(b.counter > a.counter, `counter ${a.counter} -> ${b.counter}`);
  });

  test('status reports the pair protected', async () => {
    const r = await colo(['status', '-f', lab.spec, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      vms: { vm: string; health: string; primary: { host: string }; checkpoint: { intervalMs: number } }[];
    };
    assert.equal(doc.vms[0]!.health, 'protected');
    assert.equal(doc.vms[0]!.primary.host, 'alpha');
    assert.equal(doc.vms[0]!.checkpoint.intervalMs, 2000);
  });

  test('a changed checkpoint interval plans as ~ and applies in place (pids unchanged)', async () => {
    const pids = [await lab.pid('alpha'), await lab.pid('beta')];
    await editSpec(lab.spec, (t) => t.replace('interval: 2000ms', 'interval: 3000ms'));
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /# vm\.web\.checkpoint on alpha will be updated in-place/);
    assert.match(plan.stdout, /~ checkpoint\.interval = 2000 -> 3000/);
    assert.match(plan.stdout, /Plan: 0 to add, 1 to change, 0 to destroy\./);
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([await lab.pid('alpha'), await lab.pid('beta')], pids);
    await lab.withQmp('alpha', async (p) => {
      assert.equal((await p.execute<Record<string, unknown>>('query-migrate-parameters'))['x-checkpoint-delay'], 3000);
    });
    assert.equal((await colo(['plan', '-f', lab.spec, '--detailed-exitcode'])).code, 0);
  });

  test('plan --out then apply FILE carries it out; the same file after a state change is stale', async () => {
    await editSpec(lab.spec, (t) => t.replace('interval: 3000ms', 'interval: 2000ms'));
    const planFile = path.join(lab.dir, 'interval.plan');
    const p1 = await colo(['plan', '-f', lab.spec, '--out', planFile]);
    assert.equal(p1.code, 0, p1.stderr);
    assert.match(p1.stdout, /colo apply .*interval\.plan/);
    const a1 = await colo(['apply', planFile, '-f', lab.spec]);
    assert.equal(a1.code, 0, a1.stdout + a1.stderr);
    assert.match(a1.stdout, /1 changed/);
    const a2 = await colo(['apply', planFile, '-f', lab.spec]);
    assert.equal(a2.code, 1);
    assert.match(a2.stderr, /Saved plan is stale/);
  });

  test('a second concurrent apply is refused and names the holder; force-unlock releases it', async () => {
    const statePath = path.join(path.dirname(lab.spec), '.colo', 'state.json');
    const held = await acquireLock(statePath, 'apply');
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Lock Info:/);
    assert.match(r.stderr, new RegExp(`ID:\\s+${held.info.id}`));
    assert.match(r.stderr, /Operation:\s+apply/);
    const u = await colo(['force-unlock', held.info.id, '-f', lab.spec]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /successfully unlocked/);
    const again = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const applied = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr);
  });

  test('destroy leaves no QEMU, socket or overlay behind', async () => {
    const r = await colo(['destroy', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Destroy complete!/);
    assert.equal(await lab.pid('alpha'), null);
    assert.equal(await lab.pid('beta'), null);
    const { readdirSync, existsSync } = await import('node:fs');
    for (const h of ['alpha', 'beta']) {
      const d = path.join(lab.dir, 'hosts', h, 'web');
      const left = existsSync(d) ? readdirSync(d).filter((f) => /\.(sock|qcow2|pid)$/.test(f)) : [];
      assert.deepEqual(left, [], `${h}: ${left.join(', ')}`);
    }
    const img = path.join(lab.dir, 'images', 'web-disk0.qcow2');
    assert.ok(existsSync(img), 'the user image is kept');
    const plan = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(plan.code, 2);
  });
});
