/**
 * The continuity records' two readers agree and can fail: the guest's (scripts/guest/records.awk, run
 * here with the same busybox awk the guest has) and the tests' (test/helpers/records.ts). Same bytes
 * for the same record; the same verdict on an intact area, and each one catches a hole, a swap, a
 * corrupt byte, a record in the wrong slot, another disk's record and an acknowledged record that
 * never reached the disk.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { requireBinary } from '../helpers/hosts.ts';
import { ROOT } from '../helpers/cli.ts';
import {
  continuityProblems,
  diskImagesFromArgv,
  parseRecordAcks,
  recordSector,
  verifyRecordArea,
} from '../helpers/records.ts';

const AWK = path.join(ROOT, 'scripts', 'guest', 'records.awk');
const BOOT = '0f1e2d3c4b5a6978';
const SLOTS = 32;

function awkSector(disk: string, seq: number, boot: string): Buffer {
  return execFileSync('/bin/busybox', [
    'awk',
    '-v',
    'mode=write',
    '-v',
    `d=${disk}`,
    '-v',
    `s=${seq}`,
    '-v',
    `b=${boot}`,
    '-f',
    AWK,
  ]);
}

/** The guest's verification of an area (the same pipeline as scripts/guest/init's rec_verify). */
function awkVerify(area: Buffer, disk: string): Record<string, string> {
  const out = execFileSync(
    '/bin/sh',
    [
      '-c',
      'busybox tr "\\n\\000" "~." | busybox fold -w 512 | busybox awk -v mode=verify -v d="$1" -v slots="$2" -f "$3"',
      'sh',
      disk,
      String(SLOTS),
      AWK,
    ],
    { input: area },
  ).toString();
  return Object.fromEntries(
    out
      .trim()
      .split(' ')
      .map((kv) => kv.split('=') as [string, string]),
  );
}

/** An area of SLOTS slots holding records 1..n of vda (slot = seq - 1). */
function area(n: number, disk = 'vda'): Buffer {
  const buf = Buffer.alloc(SLOTS * 512);
  for (let s = 1; s <= n; s++) recordSector(disk, s, BOOT).copy(buf, ((s - 1) % SLOTS) * 512);
  return buf;
}

describe('continuity records', () => {
  requireBinary('/bin/busybox', 'busybox-static');

  test('the guest and the tests write the same 512 bytes for a record', () => {
    for (const seq of [1, 9, 10, 12345, 6144, 99999999]) {
      const ts = recordSector('vdb', seq, BOOT);
      assert.equal(ts.length, 512);
      assert.ok(awkSector('vdb', seq, BOOT).equals(ts), `record ${seq} differs`);
    }
    assert.match(recordSector('vda', 7, BOOT).toString('latin1'), /^COLOREC1 vda 7 0f1e2d3c4b5a6978 [0-9a-f]{8}\n/);
  });

  test('an intact area: both readers find every record and nothing wrong', () => {
    const a = area(20);
    const r = verifyRecordArea(a, 'vda', SLOTS);
    assert.deepEqual([r.valid, r.bad, r.first, r.last, r.missing], [20, [], 1, 20, []]);
    assert.deepEqual(continuityProblems(r, 20, BOOT), []);
    const g = awkVerify(a, 'vda');
    assert.deepEqual([g.valid, g.bad, g.first, g.last, g.missing, g.boot], ['20', '0', '1', '20', '0', BOOT]);
  });

  test('a wrapped ring is still one unbroken sequence', () => {
    const a = area(SLOTS + 5);
    const r = verifyRecordArea(a, 'vda', SLOTS);
    assert.deepEqual([r.valid, r.first, r.last, r.missing], [SLOTS, 6, SLOTS + 5, []]);
    assert.equal(awkVerify(a, 'vda').missing, '0');
  });

  const cases: [string, (a: Buffer) => void, RegExp, Partial<Record<string, string>>][] = [
    [
      'a hole (record 7 never written)',
      (a) => a.fill(0, 6 * 512, 7 * 512),
      /1 record\(s\) missing in 1\.\.20: 7/,
      { missing: '1', bad: '0' },
    ],
    [
      'two records swapped (out of order)',
      (a) => {
        const s3 = Buffer.from(a.subarray(2 * 512, 3 * 512));
        a.copy(a, 2 * 512, 3 * 512, 4 * 512);
        s3.copy(a, 3 * 512);
      },
      /slot 2: record 4 in the wrong slot; slot 3: record 3 in the wrong slot/,
      { bad: '2', missing: '2' },
    ],
    [
      'one corrupt byte in the filler',
      (a) => (a[10 * 512 + 300] = 0x58),
      /slot 10: record 11 corrupt/,
      { bad: '1', missing: '1' },
    ],
    [
      'a corrupt sequence number that still fits its slot',
      (a) => a.write('COLOREC1 vda 47 ', 14 * 512, 'latin1'),
      /slot 14: record 47 corrupt; 1 record\(s\) missing in 1\.\.20: 15/,
      { bad: '1', missing: '1' },
    ],
    [
      "another disk's record",
      (a) => recordSector('vdb', 5, BOOT).copy(a, 4 * 512),
      /slot 4: a record of vdb/,
      { bad: '1', missing: '1' },
    ],
  ];
  for (const [what, damage, problem, guest] of cases) {
    test(`both readers catch ${what}`, () => {
      const a = area(20);
      damage(a);
      const problems = continuityProblems(verifyRecordArea(a, 'vda', SLOTS), 20);
      assert.match(problems.join('; '), problem);
      const g = awkVerify(a, 'vda');
      for (const [k, v] of Object.entries(guest)) assert.equal(g[k], v, `guest reader: ${k} of ${JSON.stringify(g)}`);
    });
  }

  test('records acknowledged but not on the disk: the tail is lost', () => {
    const r = verifyRecordArea(area(12), 'vda', SLOTS);
    assert.deepEqual(continuityProblems(r, 12), []);
    assert.deepEqual(continuityProblems(r, 15), ['acknowledged up to 15, but the disk ends at 12']);
    assert.deepEqual(continuityProblems(verifyRecordArea(area(0), 'vda', SLOTS), 3), [
      'acknowledged up to 3, but the disk ends at no record',
    ]);
  });

  test('an acknowledged record from another boot is named', () => {
    const a = area(10);
    recordSector('vda', 10, 'ffffffffffffffff').copy(a, 9 * 512);
    assert.deepEqual(continuityProblems(verifyRecordArea(a, 'vda', SLOTS), 10, BOOT), [
      `record 10 has boot id ffffffffffffffff, not ${BOOT}`,
    ]);
  });

  test('acknowledgements and disk images are read from what the guest and QEMU say', () => {
    assert.deepEqual(parseRecordAcks('boot=ab counter=3 records=vda:12,vdb:0\n'), { vda: 12, vdb: 0 });
    assert.deepEqual(parseRecordAcks('boot=ab counter=3\n'), {});
    assert.deepEqual(
      diskImagesFromArgv([
        'qemu',
        '-drive',
        'if=none,id=colo-disk0,node-name=quorum-disk0,driver=quorum,children.0.file.filename=/i/a,,b.qcow2',
        '-drive',
        'if=none,id=parent-data,driver=qcow2,file.filename=/w/data-base.qcow2',
        '-drive',
        'if=none,id=childs-data,driver=replication,file.file.filename=/w/data-active.qcow2',
      ]),
      { disk0: '/i/a,b.qcow2', data: '/w/data-base.qcow2' },
    );
  });
});
