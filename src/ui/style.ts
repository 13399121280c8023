/**
 * Terminal styling: colours only on a TTY, never with NO_COLOR or --no-color. Renderers call these
 * functions; the caller picks the Style once.
 */
export interface Style {
  bold(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const ansiStyle: Style = {
  bold: wrap(1, 22),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  red: wrap(31, 39),
  cyan: wrap(36, 39),
  dim: wrap(2, 22),
};

const id = (s: string) => s;
export const plainStyle: Style = { bold: id, green: id, yellow: id, red: id, cyan: id, dim: id };

export function pickStyle(stream: { isTTY?: boolean }, noColor = false): Style {
  if (noColor || process.env.NO_COLOR !== undefined || !stream.isTTY) return plainStyle;
  return ansiStyle;
}
