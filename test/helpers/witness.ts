/**
 * The tests' own witness of a lab pair, independent of what colo reports: the images each QEMU runs
 * on (from its command line), QEMU's own trace log (timestamped runstate changes and every QMP
 * command any client sent, with `trace: true` in startLab), when a process really exited, and the two
 * data checks run after every failover and re-protection: every record the guest acknowledged is on
 * the survivor's disks, and both sides' images are identical.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { imagesIdentical, type TestLab } from './lab.ts';
import { diskImagesFromArgv, guestDiskNames, guestRecordCheck, verifyImageRecords } from './records.ts';

type Host = 'alpha' | 'beta';

/** QEMU options that make its -D log a witness: timestamps, runstate changes, every QMP command. */
export const TRACE_ARGS = ['-msg', 'timestamp=on', '-trace', 'runstate_set', '-trace', 'handle_qmp_command'];

export async function argvOf(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a, i, all) => a || i < all.length - 1);
}

/** disk id -> the image the VM's running QEMU on `host` reads and writes. */
export async function diskImages(lab: TestLab, host: Host, vm = 'web'): Promise<Record<string, string>> {
  const pid = await lab.pid(host, vm);
  assert.ok(pid, `no QEMU of ${vm} runs on ${host}`);
  const images = diskImagesFromArgv(await argvOf(pid));
  assert.ok(Object.keys(images).length > 0, `no disk image in the command line of ${vm} on ${host}`);
  return images;
}

/** The last lines of the guest's serial console of `vm` on `host` (for failure messages). */
export async function consoleTail(lab: TestLab, host: Host, lines = 15, vm = 'web'): Promise<string> {
  const text = await readFile(path.join(lab.dir, 'hosts', host, vm, 'console.log'), 'utf8').catch((e) => String(e));
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface TraceEvent {
  /** QEMU's wall clock, ms since the epoch. */
  ms: number;
  event: string;
  text: string;
}

/** The trace lines of the QEMU of `vm` on `host` (its -D log, rewritten at each start). */
export async function qemuTrace(lab: TestLab, host: Host, vm = 'web'): Promise<TraceEvent[]> {
  const text = await readFile(path.join(lab.dir, 'hosts', host, vm, 'qemu.log'), 'utf8').catch(() => '');
  const out: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+@(\d+)\.(\d{6}):(\S+) (.*)$/.exec(line);
    if (m) out.push({ ms: Number(m[1]) * 1000 + Number(m[2]) / 1000, event: m[3]!, text: m[4]! });
  }
  return out;
}

/** The QMP commands a QEMU received (any client), in order, with QEMU's timestamps. */
export function qmpCommands(trace: TraceEvent[]): { ms: number; command: string }[] {
  return trace
    .filter((e) => e.event === 'handle_qmp_command')
    .map((e) => ({ ms: e.ms, command: /"execute": *"([^"]+)"/.exec(e.text)?.[1] ?? '?' }));
}

/** Runstate changes (running -> paused, ...), with QEMU's timestamps. */
export function runstates(trace: TraceEvent[]): { ms: number; from: string; to: string }[] {
  return trace
    .filter((e) => e.event === 'runstate_set')
    .map((e) => {
      const m = /\((\S+)\) new_state \d+ \((\S+)\)/.exec(e.text);
      return { ms: e.ms, from: m?.[1] ?? '?', to: m?.[2] ?? '?' };
    });
}

/**
 * When a process exited, seen from here: polls /proc every few ms; the exit happened after
 * `lastAlive` and at or before `goneAt` (wall clock ms). A zombie counts as gone.
 */
export class ExitWatch {
  lastAlive = Date.now();
  goneAt: number | undefined;
  readonly gone: Promise<number>;
  private stopped = false;

  constructor(readonly pid: number) {
    this.gone = new Promise((resolve) => {
      const tick = async () => {
        if (this.stopped) return;
        const now = Date.now();
        const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        const state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
        if (st === '' || state === 'Z' || state === 'X') {
          this.goneAt = now;
          resolve(now);
        } else {
          this.lastAlive = now;
          setTimeout(() => void tick(), 3);
        }
      };
      void tick();
    });
  }

  stop(): void {
    this.stopped = true;
  }
}

export interface RecordTally {
  where: string;
  disk: string;
  /** The highest record on the disk (what the guest had written by then). */
  written: number;
  /** The highest record the guest acknowledged to the test over the network. */
  acked: number;
  /** Intact records verified on the image (in order, no hole). */
  verified: number;
}

/** Every record check of this test process, for the closing figures. */
export const TALLIES: RecordTally[] = [];

/**
 * Every record the guest acknowledged (per guest disk name) is on the disks the VM's QEMU on `host`
 * runs on, intact, in order, with no hole; read offline from the images. Fails when a disk had no
 * acknowledged record (the check would prove nothing).
 */
export async function assertAckedOnDisk(
  lab: TestLab,
  host: Host,
  acked: Record<string, number>,
  opts: { where: string; boot?: string; vm?: string; t?: TestContext },
): Promise<RecordTally[]> {
  const images = await diskImages(lab, host, opts.vm);
  const names = guestDiskNames(Object.keys(images));
  const out: RecordTally[] = [];
  for (const [id, image] of Object.entries(images)) {
    const disk = names[id]!;
    const a = acked[disk] ?? 0;
    assert.ok(a > 0, `${opts.where}: no record of ${disk} (${id}) was acknowledged: nothing to check`);
    const r = await verifyImageRecords(image, disk, a, { ...(opts.boot ? { boot: opts.boot } : {}) });
    const tally = {
      where: opts.where,
      disk: `${id} (${disk}) on ${host}`,
      written: r.last,
      acked: a,
      verified: r.valid,
    };
    out.push(tally);
    TALLIES.push(tally);
    opts.t?.diagnostic(
      `records ${tally.disk} ${opts.where}: written ${tally.written}, acknowledged ${a}, verified ${r.valid}`,
    );
  }
  return out;
}

/** The guest's own reader agrees: no bad or missing record on any disk, each at or past what it acked. */
export async function assertGuestRecordsIntact(address: string, port: number, acked: Record<string, number>) {
  const checks = await guestRecordCheck(address, port);
  for (const g of checks) {
    assert.equal(`${g.bad} bad, ${g.missing} missing`, '0 bad, 0 missing', `the guest's check of ${g.disk}`);
    assert.ok(g.last >= (acked[g.disk] ?? 0), `${g.disk}: the guest's disk ends at ${g.last} < acked ${acked[g.disk]}`);
  }
  return checks;
}

/** Both sides' images are identical for every disk (qemu-img compare -U, retried while writes land). */
export async function assertImagesIdentical(lab: TestLab, primary: Host, secondary: Host, vm = 'web') {
  const p = await diskImages(lab, primary, vm);
  const s = await diskImages(lab, secondary, vm);
  assert.deepEqual(Object.keys(s), Object.keys(p), 'the same disks on both sides');
  for (const id of Object.keys(p)) assert.match(await imagesIdentical(p[id]!, s[id]!, 60_000), /Images are identical/);
  return Object.keys(p);
}

/** QMP commands that only read: what colo may send to a survivor it must leave untouched. */
export const READ_ONLY_QMP =
  /^(qmp_capabilities|query-.*|qom-list|qom-get|x-debug-query-block-graph|x-query-virtio-.*)$/;

/**
 * The survivor's promotion came after the loser was gone: the test never saw the loser's process
 * alive at or after the first command of the promotion (nbd-server-stop / x-colo-lost-heartbeat) in
 * the survivor's QEMU trace, and saw it gone. (A promotion before the fence would find the loser
 * alive for the whole QMP sequence and the verification after it.) Times are ms since the epoch.
 */
export async function assertFencedBeforePromoted(
  lab: TestLab,
  survivor: Host,
  loser: ExitWatch,
  since: number,
): Promise<{ lastAlive: number; goneAt: number; promotedAt: number }> {
  const cmds = qmpCommands(await qemuTrace(lab, survivor)).filter((c) => c.ms >= since);
  const promote = cmds.find((c) => c.command === 'nbd-server-stop' || c.command === 'x-colo-lost-heartbeat');
  assert.ok(promote, `no promotion in the QMP trace of ${survivor}: ${cmds.map((c) => c.command).join(', ')}`);
  const goneAt = await Promise.race([loser.gone, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
  loser.stop();
  assert.ok(goneAt !== undefined, `the loser (pid ${loser.pid}) still runs after the promotion`);
  assert.ok(
    loser.lastAlive < promote.ms,
    `the survivor was promoted at ${promote.ms} (QEMU's clock) while the loser was still seen alive at ` +
      `${loser.lastAlive} (gone at ${goneAt})`,
  );
  assert.equal(cmds.filter((c) => c.command === 'x-colo-lost-heartbeat').length, 1, 'one x-colo-lost-heartbeat');
  return { lastAlive: loser.lastAlive, goneAt, promotedAt: promote.ms };
}

/** Nothing but reading reached the survivor's QEMU since `since`, and it is still a COLO secondary. */
export async function assertUntouchedSecondary(lab: TestLab, host: Host, since: number, pid: number) {
  const cmds = qmpCommands(await qemuTrace(lab, host)).filter((c) => c.ms >= since);
  const writes = cmds.filter((c) => !READ_ONLY_QMP.test(c.command)).map((c) => c.command);
  assert.deepEqual(writes, [], `colo sent commands that change the survivor on ${host}`);
  assert.ok(cmds.length > 0, `colo did not even observe ${host} (no QMP command in its trace)`);
  assert.equal(await lab.pid(host), pid, `the QEMU on ${host} is the same process`);
  await lab.withQmp(host, async (q) => {
    assert.equal((await q.execute<{ mode: string }>('query-colo-status')).mode, 'secondary', 'still a COLO secondary');
  });
  return cmds.length;
}

/** After a re-protection: every acknowledged record on the primary, images identical, the records on both. */
export async function assertReprotected(
  lab: TestLab,
  acked: Record<string, number>,
  primary: Host,
  secondary: Host,
  opts: { where: string; boot?: string; t?: TestContext },
): Promise<void> {
  await assertAckedOnDisk(lab, primary, acked, { ...opts, where: `${opts.where}, primary` });
  await assertImagesIdentical(lab, primary, secondary);
  await assertAckedOnDisk(lab, secondary, acked, { ...opts, where: `${opts.where}, secondary` });
}
