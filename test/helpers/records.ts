/**
 * The test guest's continuity records (scripts/guest/init, colo_records=<ms>; the format is in
 * scripts/guest/records.awk, implemented here a second time): per virtio disk the guest writes record
 * after record (sequence number, boot id, Adler-32 checksum) into a ring of 512-byte slots with
 * O_DIRECT and fsync, and only then acknowledges it in its HTTP answer (`records=vda:<seq>,...`).
 *
 * Here: the record format, a verifier of a record area (every record intact, in its slot, no hole in
 * the sequence), the offline reader of an image (qemu-img dd -U: read-only, sharing the image a
 * running QEMU holds), the guest's own verification (GET /cgi-bin/records), and a watcher that polls
 * the guest and keeps the highest acknowledged record per disk: what the network was told was written.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { httpGet } from './cli.ts';

/** The record area: sectors 2048..8191 (1 MiB to 4 MiB) of every disk. */
export const RECORD_AREA = { startSector: 2048, slots: 6144 } as const;

function adler32Hex(text: string): string {
  let a = 1;
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    a = (a + text.charCodeAt(i)) % 65521;
    b = (b + a) % 65521;
  }
  return b.toString(16).padStart(4, '0') + a.toString(16).padStart(4, '0');
}

/** The 512 bytes the guest writes for record `seq` of `disk` in boot `boot`. */
export function recordSector(disk: string, seq: number, boot: string): Buffer {
  const h = `COLOREC1 ${disk} ${seq} ${boot}`;
  const unit = `${seq}:${boot};`;
  const f = unit.repeat(Math.ceil(512 / unit.length)).slice(0, 512 - h.length - 11);
  return Buffer.from(`${h} ${adler32Hex(`${h} ${f}`)}\n${f}\n`, 'latin1');
}

export interface AreaReport {
  disk: string;
  /** Intact records found. */
  valid: number;
  /** Slots that hold something that is not an intact record of this disk in its own slot. */
  bad: { slot: number; why: string }[];
  empty: number;
  /** Lowest and highest intact sequence numbers (0 when none). */
  first: number;
  last: number;
  /** Sequence numbers absent between first (or last - slots + 1) and last. */
  missing: number[];
  /** Boot id of each intact record, by sequence number. */
  boots: Map<number, string>;
}

/** Checks a record area read from a disk (slots x 512 bytes): no corrupt, misplaced or missing record. */
export function verifyRecordArea(area: Buffer, disk: string, slots: number = RECORD_AREA.slots): AreaReport {
  const r: AreaReport = { disk, valid: 0, bad: [], empty: 0, first: 0, last: 0, missing: [], boots: new Map() };
  const n = Math.min(slots, Math.floor(area.length / 512));
  for (let slot = 0; slot < n; slot++) {
    const sector = area.subarray(slot * 512, slot * 512 + 512);
    if (sector.every((b) => b === 0)) {
      r.empty++;
      continue;
    }
    const m = /^COLOREC1 (\S+) (\d+) (\S+) [0-9a-f]{8}\n/.exec(sector.toString('latin1'));
    const why = !m
      ? 'not a record'
      : m[1] !== disk
        ? `a record of ${m[1]}`
        : (Number(m[2]) - 1) % slots !== slot
          ? `record ${m[2]} in the wrong slot`
          : !recordSector(disk, Number(m[2]), m[3]!).equals(sector)
            ? `record ${m[2]} corrupt`
            : undefined;
    if (why) {
      r.bad.push({ slot, why });
      continue;
    }
    const seq = Number(m![2]);
    r.valid++;
    r.boots.set(seq, m![3]!);
    if (r.first === 0 || seq < r.first) r.first = seq;
    if (seq > r.last) r.last = seq;
  }
  for (let q = Math.max(r.first, r.last - slots + 1); r.first > 0 && q <= r.last; q++)
    if (!r.boots.has(q)) r.missing.push(q);
  return r;
}

/**
 * What is wrong with an area given what the guest acknowledged (empty: nothing): every acknowledged
 * record must be there, intact, with no hole before it, and (when given) those of this boot carry its id.
 */
export function continuityProblems(r: AreaReport, acked: number, boot?: string): string[] {
  const problems: string[] = [];
  for (const b of r.bad.slice(0, 5)) problems.push(`slot ${b.slot}: ${b.why}`);
  if (r.bad.length > 5) problems.push(`and ${r.bad.length - 5} more bad slots`);
  if (r.missing.length > 0)
    problems.push(
      `${r.missing.length} record(s) missing in ${r.first}..${r.last}: ${r.missing.slice(0, 10).join(', ')}`,
    );
  if (r.last < acked) problems.push(`acknowledged up to ${acked}, but the disk ends at ${r.last || 'no record'}`);
  if (boot !== undefined && acked > 0 && r.boots.get(acked) !== undefined && r.boots.get(acked) !== boot)
    problems.push(`record ${acked} has boot id ${r.boots.get(acked)}, not ${boot}`);
  return problems;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out.trim()}`))));
  });
}

/** The record area of a qcow2 image, read offline and read-only (force-share: a running QEMU may hold it). */
export async function readRecordArea(image: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'colo-records-'));
  try {
    const out = path.join(dir, 'area.raw');
    await run('qemu-img', [
      'dd',
      '-U',
      '-f',
      'qcow2',
      '-O',
      'raw',
      'bs=512',
      `skip=${RECORD_AREA.startSector}`,
      `count=${RECORD_AREA.slots}`,
      `if=${image}`,
      `of=${out}`,
    ]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Verifies an image's records against what was acknowledged, re-reading while it fails (a running
 * QEMU may be committing an overlay into it, or writing the slot being read) until timeoutMs; then
 * fails naming every problem of the last read. Returns the last report.
 */
export async function verifyImageRecords(
  image: string,
  disk: string,
  acked: number,
  opts: { boot?: string; timeoutMs?: number } = {},
): Promise<AreaReport> {
  const end = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const r = verifyRecordArea(await readRecordArea(image), disk);
    const problems = continuityProblems(r, acked, opts.boot);
    if (problems.length === 0) return r;
    if (Date.now() > end)
      throw new Error(`continuity records of ${disk} in ${image}: ${problems.join('; ')} (${r.valid} intact records)`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** `records=vda:12,vdb:11` of the guest's HTTP answer: per disk, the last acknowledged record. */
export function parseRecordAcks(body: string): Record<string, number> {
  const m = /records=(\S+)/.exec(body);
  const acks: Record<string, number> = {};
  for (const part of m?.[1]?.split(',') ?? []) {
    const [disk, seq] = part.split(':');
    if (disk && seq !== undefined && /^\d+$/.test(seq)) acks[disk] = Number(seq);
  }
  return acks;
}

export interface GuestRecordCheck {
  disk: string;
  valid: number;
  bad: number;
  first: number;
  last: number;
  missing: number;
  acked: number;
}

/** The guest's own verification of its disks (GET /cgi-bin/records), one entry per disk. */
export async function guestRecordCheck(address: string, port: number): Promise<GuestRecordCheck[]> {
  const body = await httpGet(address, port, 60_000, '/cgi-bin/records');
  const out: GuestRecordCheck[] = [];
  for (const line of body.split('\n')) {
    const f = Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
    if (!f['disk']) continue;
    out.push({
      disk: f['disk'],
      valid: Number(f['valid']),
      bad: Number(f['bad']),
      first: Number(f['first']),
      last: Number(f['last']),
      missing: Number(f['missing']),
      acked: Number(f['acked']),
    });
  }
  if (out.length === 0) throw new Error(`the guest verified no disk: ${body.slice(0, 200)}`);
  return out;
}

/**
 * Polls the guest's service every ~150 ms and keeps, per disk, the highest record the guest
 * acknowledged to the network: after a failure every one of them must be on the survivor's disk.
 * `target` is where the service is reached now (the current primary's address).
 */
export class RecordWatch {
  readonly acked: Record<string, number> = {};
  answers = 0;
  failures = 0;
  boot: string | undefined;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    public target: string,
    readonly port: number,
  ) {
    this.loop = (async () => {
      while (this.running) {
        try {
          const body = await httpGet(this.target, this.port, 5000);
          this.answers++;
          this.boot ??= /boot=(\S+)/.exec(body)?.[1];
          for (const [d, s] of Object.entries(parseRecordAcks(body))) this.acked[d] = Math.max(this.acked[d] ?? 0, s);
        } catch {
          this.failures++;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
  }

  /** Resolves once every disk has acknowledged at least `min` records past what it had when called. */
  async advance(min = 1, timeoutMs = 60_000): Promise<Record<string, number>> {
    const from = { ...this.acked };
    const end = Date.now() + timeoutMs;
    for (;;) {
      const disks = Object.keys(this.acked);
      if (disks.length > 0 && disks.every((d) => (this.acked[d] ?? 0) >= (from[d] ?? 0) + min))
        return { ...this.acked };
      if (Date.now() > end)
        throw new Error(`records not acknowledged within ${timeoutMs} ms: ${JSON.stringify(this.acked)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<Record<string, number>> {
    this.running = false;
    await this.loop;
    return { ...this.acked };
  }
}

/**
 * The image each disk of a VM's QEMU runs on, from its command line: a primary started from the
 * spec's image (`id=colo-<disk>,...,children.0.file.filename=IMG`), a secondary (or a promoted one) on
 * the base image colo made for it (`id=parent-<disk>,...,file.filename=BASE`).
 */
export function diskImagesFromArgv(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length - 1; i++) {
    if (argv[i] !== '-drive') continue;
    const kv: Record<string, string> = {};
    for (const part of argv[i + 1]!.replace(/,,/g, '\u0000').split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) kv[part.slice(0, eq)] = part.slice(eq + 1).replace(/\u0000/g, ',');
    }
    const id = kv['id'] ?? '';
    if (id.startsWith('colo-') && kv['children.0.file.filename']) out[id.slice(5)] = kv['children.0.file.filename'];
    else if (id.startsWith('parent-') && kv['file.filename']) out[id.slice(7)] = kv['file.filename'];
  }
  return out;
}

/** The guest's name of each virtio disk, in spec order: vda, vdb, ... */
export function guestDiskNames(diskIds: string[]): Record<string, string> {
  return Object.fromEntries(diskIds.map((id, i) => [id, `vd${String.fromCharCode(97 + i)}`]));
}
