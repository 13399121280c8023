/** The process's streams as a view's Output, and the terminal style the flags and environment ask for. */
import type { Output } from '../ui/views/output.ts';
import { pickStyle, type Style } from '../ui/style.ts';

export const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** ANSI colours only on a terminal, never with --no-color or NO_COLOR. */
export function styleFor(opts: { color: boolean }): Style {
  return pickStyle(process.stdout, !opts.color);
}

/** A terminal that shows live progress (listr2): stdout is a TTY and CI is not set. */
export function liveProgress(): boolean {
  return !!process.stdout.isTTY && !process.env.CI;
}
