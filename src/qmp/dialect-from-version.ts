/**
 * The version table behind `Dialect` (src/render/dialect.ts): which command-line and QMP differences
 * a QEMU version implies for COLO. Pure.
 */
import type { Dialect, QemuVersion } from '../render/dialect.ts';

/** A package/build string containing this marks a QEMU rebuilt with the two TCG COLO fixes (scripts set it via `--with-pkgversion`). */
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
    secondaryNeedsXColo: compareVersions(version, v(8, 1)) >= 0,
    coloBroken: within(version, v(10, 0, 0), v(10, 0, 6)) || within(version, v(10, 1, 0), v(10, 1, 2)),
    tcgColoBugs: !fixed,
  };
}
