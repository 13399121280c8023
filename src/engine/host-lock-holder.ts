/**
 * The host lock's record and refusal: who holds a host (the state lock's LockInfo of that colo, plus
 * the pid of the lock's process on the host), read back from `<workDir>/.colo.lock`, and the message
 * that names the holder and its age. Pure.
 */
import type { LockInfo } from '../state/types.ts';

export interface HostLockRecord {
  /** The holder colo's own lock info (who, pid and hostname of its machine, operation, state path). */
  holder: LockInfo;
  /** The pid of the lock's shell on the locked host: killing it releases the lock. */
  remotePid: number;
}

/** Refused: another colo holds the host lock of `host` (`record` is null when its record is unreadable). */
export class HostLockError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly record: HostLockRecord | null,
  ) {
    super(message);
    this.name = 'HostLockError';
  }
}

/** Control characters (and escape sequences' ESC) of a record another machine wrote, made visible. */
const plain = (s: unknown): string =>
  String(s)
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
    .slice(0, 200);

/** The record the lock script printed, or null when it is not one colo writes. */
export function parseHostLockRecord(text: string): HostLockRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { remotePid, holder } = v as { remotePid?: unknown; holder?: unknown };
  if (!Number.isInteger(remotePid) || typeof holder !== 'object' || holder === null) return null;
  const h = holder as Record<string, unknown>;
  const strings = ['id', 'operation', 'who', 'hostname', 'version', 'created', 'path'];
  if (!strings.every((k) => typeof h[k] === 'string') || !Number.isInteger(h['pid'])) return null;
  const info = Object.fromEntries(strings.map((k) => [k, plain(h[k])])) as Omit<LockInfo, 'pid'>;
  return { holder: { ...info, pid: h['pid'] as number }, remotePid: remotePid as number };
}

/** "12s", "4m05s", "2h03m", "3d04h": how long ago `created` was. */
export function ageOf(created: string, now: Date): string {
  const t = Date.parse(created);
  if (Number.isNaN(t)) return 'unknown age';
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/** The refusal: which host, who holds it since when, and why it cannot be force-unlocked. */
export function hostLockRefusal(host: string, lockFile: string, record: HostLockRecord | null, now: Date): string {
  const head = `Error acquiring the host lock of ${host} (${lockFile}): another colo command is changing this host.`;
  if (!record) {
    return [
      head,
      '',
      `Its record in ${lockFile} is unreadable, but a live process on ${host} holds the lock (flock).`,
      `Wait for it to finish; to find it on ${host}: fuser -v ${lockFile}`,
    ].join('\n');
  }
  const h = record.holder;
  const rows: [string, string][] = [
    ['Who', h.who],
    ['PID', `${h.pid} on ${h.hostname}`],
    ['Operation', h.operation],
    ['State', h.path],
    ['Created', `${h.created} (${ageOf(h.created, now)} ago)`],
    ['Lock PID', `${record.remotePid} on ${host}`],
  ];
  return [
    head,
    '',
    'Host Lock Info:',
    ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(11)}${v}`),
    '',
    'colo holds this lock on every host a command changes, so that two colo commands, even with',
    'different state files or from different machines, never change one pair at once. Wait for that',
    'command to finish, then retry. The lock is a live flock held by its SSH session: it is released',
    'as soon as that colo exits, is killed or loses its connection, and it cannot be force-unlocked',
    `(colo force-unlock clears state locks only). If that colo hangs, stop it (kill ${h.pid} on ${h.hostname}),`,
    `or end its lock on ${host}: kill ${record.remotePid}.`,
  ].join('\n');
}
