/**
 * The guest's continuity records on a real (non-COLO) QEMU: with colo_records= the guest writes
 * records on both of its disks and acknowledges them over HTTP; after a SIGKILL right behind an
 * acknowledgement every acknowledged record is on both images (read offline, read-only), intact and
 * in order, and the guest's own reader agreed before the kill; a reboot continues the sequence with a
 * new boot id; a record damaged on the image is named by both readers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedLabQemu, ensureGuest } from '../../src/lab/assets.ts';
import { freePort } from '../../src/lab/sshd.ts';
import { eventually } from '../helpers/lab.ts';
import {
  continuityProblems,
  guestRecordCheck,
  readRecordArea,
  RecordWatch,
  verifyImageRecords,
  verifyRecordArea,
} from '../helpers/records.ts';

const execFileP = promisify(execFile);

describe('continuity records on a real guest', { timeout: 600_000 }, () => {
  let dir: string;
  const procs: ChildProcess[] = [];
  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function boot(images: string[]): Promise<{ proc: ChildProcess; port: number; exited: Promise<unknown> }> {
    const qemu = await cachedLabQemu();
    assert.ok(qemu, 'the lab QEMU is not built: bash scripts/build-qemu.sh');
    const guest = await ensureGuest();
    const port = await freePort('127.0.0.1');
    const argv = [
      ...qemu.firmwareDirs.flatMap((d) => ['-L', d]),
      ...['-machine', 'pc,accel=tcg', '-cpu', 'qemu64', '-m', '128M', '-nodefaults', '-display', 'none'],
      ...['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', `${guest.cmdline} colo_records=100`],
      ...['-serial', `file:${path.join(dir, `console-${procs.length}.log`)}`],
      ...['-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:80`, '-device', 'virtio-net-pci,netdev=n0'],
      ...images.flatMap((img, i) => [
        '-drive',
        `if=none,id=d${i},file=${img},format=qcow2`,
        '-device',
        `virtio-blk-pci,drive=d${i}`,
      ]),
    ];
    const proc = spawn(qemu.binary, argv, { stdio: 'ignore' });
    procs.push(proc);
    const exited = new Promise((r) => proc.once('exit', r));
    return { proc, port, exited };
  }

  test('acknowledged records survive a SIGKILL on every disk; a reboot continues them; damage is named', async (t) => {
    dir = await mkdtemp(path.join(tmpdir(), 'colo-records-'));
    const images = [path.join(dir, 'disk0.qcow2'), path.join(dir, 'data.qcow2')];
    await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', images[0]!, '64M']);
    await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', images[1]!, '32M']);

    const vm = await boot(images);
    const watch = new RecordWatch('127.0.0.1', vm.port);
    await watch.advance(20, 120_000);
    const inGuest = await guestRecordCheck('127.0.0.1', vm.port);
    assert.deepEqual(
      inGuest.map((g) => [g.disk, g.bad, g.missing, g.first]),
      [
        ['vda', 0, 0, 1],
        ['vdb', 0, 0, 1],
      ],
    );
    for (const g of inGuest) assert.ok(g.last >= g.acked && g.acked > 0, JSON.stringify(g));
    // Kill the guest right behind an acknowledgement: what the network was told must be on disk.
    await watch.advance(1);
    vm.proc.kill('SIGKILL');
    await vm.exited;
    const acked = await watch.stop();
    const boot1 = watch.boot!;
    const reports = [];
    for (const [i, disk] of ['vda', 'vdb'].entries()) {
      const r = await verifyImageRecords(images[i]!, disk, acked[disk]!, { boot: boot1, timeoutMs: 0 });
      reports.push(r);
      t.diagnostic(`${disk}: acknowledged ${acked[disk]}, on the image ${r.last}, verified ${r.valid}`);
    }

    // A reboot on the same disks: the writers continue after the last record, with a new boot id.
    const vm2 = await boot(images);
    const watch2 = new RecordWatch('127.0.0.1', vm2.port);
    await watch2.advance(5, 120_000);
    const after2 = await guestRecordCheck('127.0.0.1', vm2.port);
    for (const [i, g] of after2.entries()) {
      assert.equal(g.first, 1, `${g.disk}: the first boot's records are still there`);
      assert.equal([g.bad, g.missing].join(), '0,0', `${g.disk}: ${JSON.stringify(g)}`);
      assert.ok(g.last > reports[i]!.last, `${g.disk} continued after ${reports[i]!.last}: ${g.last}`);
    }
    assert.notEqual(watch2.boot, boot1, 'a new boot id');
    vm2.proc.kill('SIGKILL');
    await vm2.exited;
    const acked2 = await watch2.stop();
    const r2 = await verifyImageRecords(images[0]!, 'vda', acked2['vda']!, { boot: watch2.boot!, timeoutMs: 0 });
    assert.equal(r2.boots.get(1), boot1);
    assert.equal(r2.boots.get(r2.last), watch2.boot);

    // Damage record 3 of vda on the image (slot 2): the offline reader names it, and so does the guest.
    await execFileP('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x58 ${(2048 + 2) * 512 + 100} 16`, images[0]!]);
    const damaged = verifyRecordArea(await readRecordArea(images[0]!), 'vda');
    assert.match(continuityProblems(damaged, acked2['vda']!).join('; '), /slot 2: record 3 corrupt.*missing.*: 3\b/);
    const vm3 = await boot(images);
    const check3 = await eventually(
      'the guest to verify its disks',
      () => guestRecordCheck('127.0.0.1', vm3.port),
      120_000,
    );
    const vda = check3.find((g) => g.disk === 'vda')!;
    assert.equal([vda.bad, vda.missing].join(), '1,1', JSON.stringify(vda));
    vm3.proc.kill('SIGKILL');
    await vm3.exited;
  });
});
