/**
 * QEMU dialects: the differences in command line and QMP between QEMU versions that matter for COLO,
 * and the one version table behind them. Chosen from a probe of the real binary (src/qmp/probe.ts,
 * which imports this table) or from a version number. Pure.
 */
export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
}

export interface Dialect {
  version: QemuVersion;
  /**
   * Socket chardev client reconnect option: `reconnect=1` (< 9.2) or `reconnect-ms=1000` (>= 9.2; `reconnect` removed
   * in 10.2).
   */
  reconnectOption: 'reconnect' | 'reconnect-ms';
  /** Dropping privileges: `-runas USER` (< 9.1), `-run-with user=USER` (>= 9.1; -runas deprecated, later removed). */
  runAsOption: 'runas' | 'run-with';
  /** Since 8.1 the secondary must also enable the x-colo migration capability before migration comes in. */
  secondaryNeedsXColo: boolean;
  /** QEMU versions where COLO never reaches the colo state (10.0.0-10.0.6, 10.1.0-10.1.2). */
  coloBroken: boolean;
  /**
   * Debian 7.2 without the two TCG fixes deadlocks / corrupts the secondary under TCG. Warn when paired with accel tcg.
   */
  tcgColoBugs: boolean;
}

/** The QEMU version colo assumes for a host it has not observed (the one these machines run). */
export const DEFAULT_QEMU_VERSION: QemuVersion = { major: 7, minor: 2, micro: 0 };

/**
 * A package/build string containing this marks a QEMU rebuilt with the two TCG COLO fixes (scripts set it via
 * `--with-pkgversion`).
 */
export const TCG_COLO_FIXES_MARKER = 'colo-tcg-fixes';
/** Matches the marker as scripts/build-qemu.sh writes it ("colo TCG fixes") and the dashed form. */
export const TCG_COLO_FIXES_PATTERN = /colo[ -]tcg[ -]fixes/i;

export interface DialectOptions {
  /** The package/build string (query-version `package` or the parenthesised part of `--version`). */
  package?: string;
  /** Force the answer for tcgColoBugs' fixed state (e.g. a host declared as carrying the fixes). */
  tcgFixesApplied?: boolean;
}

/** -1, 0 or 1 as a is older than, equal to or newer than b. */
export function compareVersions(a: QemuVersion, b: QemuVersion): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.micro !== b.micro) return a.micro < b.micro ? -1 : 1;
  return 0;
}

function v(major: number, minor: number, micro = 0): QemuVersion {
  return { major, minor, micro };
}

function within(x: QemuVersion, lo: QemuVersion, hi: QemuVersion): boolean {
  return compareVersions(x, lo) >= 0 && compareVersions(x, hi) <= 0;
}

/**
 * Dialect for a QEMU version:
 * - `reconnect=1` before 9.2, `reconnect-ms=1000` from 9.2 (`reconnect` deprecated 9.2, removed 10.2);
 * - `-run-with user=` instead of `-runas` from 9.1;
 * - the secondary needs the x-colo capability from 8.1 on;
 * - COLO never reaches the colo state in 10.0.0-10.0.6 and 10.1.0-10.1.2 (fixed in 10.0.7 and 10.2);
 * - tcgColoBugs: the dirty-tracking TCG bug has no known upstream fix, so every version is assumed
 *   affected under TCG unless the build is marked as carrying the fixes (TCG_COLO_FIXES_MARKER in its
 *   package string) or `tcgFixesApplied` says so. KVM deployments are not affected.
 * Development snapshots (micro >= 50) are compared by their number like any other version.
 */
export function dialectForVersion(version: QemuVersion, opts: DialectOptions = {}): Dialect {
  const fixed = opts.tcgFixesApplied ?? TCG_COLO_FIXES_PATTERN.test(opts.package ?? '');
  return {
    version: { major: version.major, minor: version.minor, micro: version.micro },
    reconnectOption: compareVersions(version, v(9, 2)) >= 0 ? 'reconnect-ms' : 'reconnect',
    runAsOption: compareVersions(version, v(9, 1)) >= 0 ? 'run-with' : 'runas',
    secondaryNeedsXColo: compareVersions(version, v(8, 1)) >= 0,
    coloBroken: within(version, v(10, 0, 0), v(10, 0, 6)) || within(version, v(10, 1, 0), v(10, 1, 2)),
    tcgColoBugs: !fixed,
  };
}

/** "7.2.22" -> {7,2,22}; undefined when the text does not start with a version. */
export function parseQemuVersion(text: string): QemuVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0) };
}

export function formatQemuVersion(v: QemuVersion): string {
  return `${v.major}.${v.minor}.${v.micro}`;
}
