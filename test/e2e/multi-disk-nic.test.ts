/**
 * One pair with two disks and two NICs, against real QEMU through the lab's sshd: apply brings it
 * into COLO with a resync mirror and a replication child per disk and a proxy per NIC, the secondary's
 * four virtio devices enabled, the service through the primary, both disks equal on both sides, and
 * a second plan with no changes. The guest writes continuity records on both disks (colo_records=):
 * after a failover every acknowledged record of each disk is on the survivor, and after the
 * re-protection both disks are identical on both sides.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
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
import { RecordWatch } from '../helpers/records.ts';
import { assertAckedOnDisk, assertGuestRecordsIntact, assertReprotected, ExitWatch } from '../helpers/witness.ts';

const execFileP = promisify(execFile);

describe('a pair with two disks and two NICs', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let dataImage: string;
  let watch: RecordWatch | undefined;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=200' });
    dataImage = path.join(lab.dir, 'images', 'web-data.qcow2');
    await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', dataImage, '32M']);
    await editSpec(lab.spec, (text) => {
      const doc = parse(text) as { vms: { web: { disks: unknown[]; netdevs: unknown[] } } };
      doc.vms.web.disks.push({ id: 'data', image: dataImage, format: 'qcow2', interface: 'virtio' });
      doc.vms.web.netdevs.push({ id: 'net1', backend: 'user', model: 'virtio-net-pci' });
      return stringify(doc, { lineWidth: 0 });
    });
  });
  after(async () => {
    await watch?.stop();
    await lab?.down();
  });

  test('apply brings it into COLO: one mirror and replication child per disk, one proxy per NIC', async () => {
    const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /mirroring 2 disk\(s\) to beta/);
    assert.match(r.stdout, /switchover pause \d+ ms/);
    await lab.withQmp('alpha', async (p) => {
      assert.equal((await p.execute<{ status: string }>('query-migrate')).status, 'colo');
      assert.equal((await p.execute<{ mode: string }>('query-colo-status')).mode, 'primary');
      assert.deepEqual(await p.execute('query-block-jobs'), [], 'the resync mirrors are gone');
      const nodes = (await p.execute<{ 'node-name': string }[]>('query-named-block-nodes')).map((n) => n['node-name']);
      for (const n of ['quorum-disk0', 'quorum-data', 'replication-disk0', 'replication-data', 'nbd-disk0', 'nbd-data'])
        assert.ok(nodes.includes(n), `${n} missing: ${nodes.join(', ')}`);
      assert.ok(!nodes.some((n) => n.startsWith('resync-nbd-')), `resync node left: ${nodes.join(', ')}`);
      const objects = (await p.execute<{ name: string }[]>('qom-list', { path: '/objects' })).map((o) => o.name);
      for (const o of ['comp-net0', 'comp-net1', 'm0-net0', 'm0-net1'])
        assert.ok(objects.includes(o), `${o} missing: ${objects.join(', ')}`);
    });
    await lab.withQmp('beta', async (s) => {
      assert.equal((await s.execute<{ mode: string }>('query-colo-status')).mode, 'secondary');
      for (const dev of ['nic-net0', 'nic-net1', 'blk-disk0', 'blk-data']) {
        const st = await s.execute<{ disabled: boolean }>('x-query-virtio-status', {
          path: `/machine/peripheral/${dev}/virtio-backend`,
        });
        assert.equal(st.disabled, false, `${dev} disabled on the secondary`);
      }
    });
  });

  test('the service answers through the primary and both disks are equal on both sides', async () => {
    const port = lab.vms[0]!.servicePort;
    const a = parseGuestAnswer(await eventually('guest answers', () => httpGet('127.0.0.11', port, 5000), 60_000));
    assert.match(a.boot, /^[0-9a-f]{16}$/);
    // the guest writes both disks: each has acknowledged records, intact on both sides
    watch = new RecordWatch('127.0.0.11', port);
    const acked = await watch.advance(3);
    assert.deepEqual(Object.keys(acked).sort(), ['vda', 'vdb'], 'records on both disks');
    await assertGuestRecordsIntact('127.0.0.11', port, acked);
    for (const [primaryImage, base] of [
      [path.join(lab.dir, 'images', 'web-disk0.qcow2'), path.join(lab.dir, 'hosts', 'beta', 'web', 'disk0-base.qcow2')],
      [dataImage, path.join(lab.dir, 'hosts', 'beta', 'web', 'data-base.qcow2')],
    ] as const) {
      assert.match(await imagesIdentical(primaryImage, base), /Images are identical/);
    }
  });

  test('a second plan says No changes and exits 0', async () => {
    const r = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /No changes\./);
  });

  test('primary lost: every acknowledged record of both disks is on the promoted secondary; re-protect', async (t) => {
    const w = watch!;
    const boot = w.boot!;
    await w.advance(1);
    const pid = (await lab.pid('alpha'))!;
    const gone = new ExitWatch(pid);
    process.kill(pid, 'SIGKILL');
    await gone.gone;
    const acked = { ...w.acked };
    const r = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    w.target = '127.0.0.12';
    const tallies = await assertAckedOnDisk(lab, 'beta', acked, { where: 'after failover to beta', boot, t });
    assert.equal(tallies.length, 2, 'both disks checked');
    await assertGuestRecordsIntact('127.0.0.12', lab.vms[0]!.servicePort, acked);
    const re = await colo(['apply', '-f', lab.spec, '--auto-approve']);
    assert.equal(re.code, 0, re.stdout + re.stderr);
    await assertReprotected(lab, await w.advance(1), 'beta', 'alpha', { where: 're-protected from beta', boot, t });
    assert.equal((await colo(['plan', '-f', lab.spec, '--detailed-exitcode'])).code, 0);
  });
});
