/** Sizes ("64M", binary units) and durations ("2s") as written in the spec. */

const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*([KkMmGgTt](?:i?[Bb])?|[Bb])?$/;
const DURATION = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m)$/;

const SIZE_FACTORS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

export type Parsed = { ok: true; value: number } | { ok: false; error: string };

/**
 * A size in bytes. A bare number means `bareUnit` bytes (1 for plain sizes, 1 MiB for memory, as
 * QEMU's -m). The result must be a whole number of bytes.
 */
export function parseSize(input: number | string, bareUnit = 1): Parsed {
  let bytes: number;
  if (typeof input === 'number') {
    bytes = input * bareUnit;
  } else {
    const m = SIZE.exec(input.trim());
    if (!m)
      return {
        ok: false,
        error:
          `malformed size ${JSON.stringify(input)}: expected a number with an optional K, M, G or T ` +
          `suffix, e.g. "512M"`,
      };
    const unit = (m[2] ?? '').charAt(0).toLowerCase();
    bytes = Number(m[1]) * (unit === '' ? bareUnit : (SIZE_FACTORS[unit] ?? 1));
  }
  if (!Number.isSafeInteger(Math.round(bytes)))
    return { ok: false, error: `size ${JSON.stringify(input)} is too large` };
  if (Math.abs(bytes - Math.round(bytes)) > 1e-6)
    return { ok: false, error: `size ${JSON.stringify(input)} is not a whole number of bytes` };
  return { ok: true, value: Math.round(bytes) };
}

/** A duration in milliseconds; a bare number is milliseconds. */
export function parseDuration(input: number | string): Parsed {
  let ms: number;
  if (typeof input === 'number') {
    ms = input;
  } else {
    const m = DURATION.exec(input.trim());
    if (!m)
      return {
        ok: false,
        error:
          `malformed duration ${JSON.stringify(input)}: expected a number with a unit ms, s or m, e.g. ` +
          `"2s" or "500ms"`,
      };
    ms = Number(m[1]) * (DURATION_FACTORS[m[2] ?? 'ms'] ?? 1);
  }
  if (!Number.isSafeInteger(Math.round(ms)))
    return { ok: false, error: `duration ${JSON.stringify(input)} is too long` };
  if (Math.abs(ms - Math.round(ms)) > 1e-6)
    return { ok: false, error: `duration ${JSON.stringify(input)} is not a whole number of milliseconds` };
  return { ok: true, value: Math.round(ms) };
}

/** 1073741824 -> "1G", 1536 -> "1536" (for messages). */
export function formatBytes(bytes: number): string {
  for (const [unit, factor] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
