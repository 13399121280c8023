/**
 * The QEMU dialect table. One table exists in the project: src/qmp/dialect-from-version.ts (used by
 * the probe); render re-exports it so callers of the renderers find it here too.
 */
import type { QemuVersion } from './dialect.ts';

export { compareVersions, dialectForVersion, TCG_COLO_FIXES_MARKER } from '../qmp/dialect-from-version.ts';
export type { DialectOptions } from '../qmp/dialect-from-version.ts';

/** "7.2.22" -> {7,2,22}; undefined when the text does not start with a version. */
export function parseQemuVersion(text: string): QemuVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0) };
}

export function formatQemuVersion(v: QemuVersion): string {
  return `${v.major}.${v.minor}.${v.micro}`;
}
