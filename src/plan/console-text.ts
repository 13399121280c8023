/**
 * Text from a guest's serial console is the guest's, not colo's: it may carry terminal escape
 * sequences (move the cursor, retitle the window, rewrite what the operator sees) and any control
 * character. Before a console line reaches a message, the terminal or JSON it is made plain: escape
 * sequences removed, other control characters dropped (a tab becomes a space), and capped in length.
 * The host side already sends at most a few capped lines (HOST_OBSERVE_SCRIPT). Pure.
 */

/** The longest console line colo reports, in characters (the host cuts lines at 512 bytes). */
export const CONSOLE_LINE_MAX = 512;

// CSI (ESC [ ... final byte), OSC / DCS / APC / PM / SOS strings (to BEL or ESC \), any other ESC x, and 8-bit CSI.
const ESCAPES = new RegExp(
  [
    /\u001b\[[0-?]*[ -/]*[@-~]?/.source,
    /\u009b[0-?]*[ -/]*[@-~]?/.source,
    /\u001b[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?/.source,
    /[\u0090\u009d\u009e\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?/.source,
    /\u001b[\s\S]?/.source,
  ].join('|'),
  'g',
);
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One console line made safe to print: no escape sequences, no control characters, at most CONSOLE_LINE_MAX. */
export function plainConsoleLine(line: string): string {
  const plain = line.replace(ESCAPES, '').replace(/\t/g, ' ').replace(CONTROLS, '').trimEnd();
  return plain.length > CONSOLE_LINE_MAX ? `${plain.slice(0, CONSOLE_LINE_MAX)}…` : plain;
}
