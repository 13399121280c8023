/**
 * Checkpoints and bytes from the kernel's counters of a primary's COLO migration connection (the
 * output of src/render/recipes/migration-counters.ts). Pure.
 *
 * Why the count is exact: in QEMU 7.2 the secondary writes nothing on the migration connection but
 * COLO messages (migration/colo.c, colo_send_message: a 4-byte big-endian value, flushed), one
 * `checkpoint-ready` when COLO starts and three per checkpoint (`checkpoint-reply`,
 * `vmstate-received`, `vmstate-loaded`). So the primary's `bytes_received` on that connection is
 * 4 + 12 x (completed checkpoints) + 4 or 8 while one is under way. A count that is not a multiple
 * of 4 means another protocol (another QEMU, TLS): then the count is unavailable, never guessed.
 */

export interface CounterReading {
  /** Bytes the secondary acknowledged (primary -> secondary: the first RAM copy, then every checkpoint). */
  bytesAcked: number;
  /** Bytes the primary received from the secondary (the COLO messages). */
  bytesReceived: number;
}

export type CounterResult = { ok: true; reading: CounterReading } | { ok: false; reason: string };

interface SocketRecord {
  pid: number | null;
  fields: Record<string, number>;
}

function socketRecords(text: string): SocketRecord[] {
  const records: SocketRecord[] = [];
  let cur: SocketRecord | null = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      const pid = /pid=(\d+)/.exec(line)?.[1];
      cur = { pid: pid ? Number(pid) : null, fields: {} };
      records.push(cur);
    }
    if (!cur) continue;
    for (const m of line.matchAll(/\b(bytes_acked|bytes_received|bytes_sent):(\d+)/g)) cur.fields[m[1]!] = Number(m[2]);
  }
  return records;
}

/** The reading of one VM's migration connection from the `ss` text; `pid` picks the primary's socket of several. */
export function readCounters(ssText: string, pid: number | undefined): CounterResult {
  let recs = socketRecords(ssText);
  if (recs.length > 1 && pid !== undefined) recs = recs.filter((r) => r.pid === pid);
  if (recs.length === 0) return { ok: false, reason: 'no established migration connection found (ss)' };
  if (recs.length > 1) return { ok: false, reason: `${recs.length} connections to the migration port: ambiguous` };
  const f = recs[0]!.fields;
  return {
    ok: true,
    reading: { bytesAcked: f['bytes_acked'] ?? f['bytes_sent'] ?? 0, bytesReceived: f['bytes_received'] ?? 0 },
  };
}

/** Parses the whole script output: VM name -> its result. */
export function parseCounterOutput(
  stdout: string,
  pids: Record<string, number | undefined>,
): Record<string, CounterResult> {
  const out: Record<string, CounterResult> = {};
  if (stdout.split('\n').some((l) => l.trim() === 'ss-missing')) return out;
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] !== 'mig' || !f[1]) continue;
    const text = Buffer.from(f[2] ?? '', 'base64').toString('utf8');
    out[f[1]] = readCounters(text, pids[f[1]]);
  }
  return out;
}

export const COLO_MESSAGE_BYTES = 4;
export const MESSAGES_PER_CHECKPOINT = 3;

/** Completed checkpoints since COLO started, from the bytes the secondary sent back (null, with a reason, if not). */
export function checkpointsFromReturnPath(bytesReceived: number): { count: number } | { count: null; reason: string } {
  if (bytesReceived % COLO_MESSAGE_BYTES !== 0)
    return {
      count: null,
      reason:
        `the secondary sent ${bytesReceived} bytes back, not a whole number of 4-byte COLO messages ` +
        '(not the COLO protocol of QEMU 7.2, or an encrypted channel)',
    };
  const perCheckpoint = COLO_MESSAGE_BYTES * MESSAGES_PER_CHECKPOINT;
  return { count: Math.max(0, Math.floor((bytesReceived - COLO_MESSAGE_BYTES) / perCheckpoint)) };
}
