/** What a line from a QMP peer is: its greeting, an event, a reply, something to ignore, or garbage. Pure. */
import { isPlainObject } from './line-framing.ts';
import type { QmpGreeting } from './types.ts';

export type QmpMessage =
  | { kind: 'greeting'; greeting: QmpGreeting }
  | { kind: 'event'; msg: Record<string, unknown> }
  | { kind: 'reply'; id: unknown; result: unknown; error?: Record<string, unknown> }
  | { kind: 'ignore' }
  /** Not QMP: `why` says what it was instead. */
  | { kind: 'garbage'; why: string };

/**
 * Classifies one line; before the greeting only a greeting is acceptable, but for an event: QEMU 7.2
 * can write an event (seen: a checkpoint's STOP) to a client that connects just as the previous QMP
 * client goes, before it sends that client its greeting. Such an event is skipped, the greeting follows.
 */
export function parseQmpLine(line: string, expectGreeting: boolean): QmpMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return { kind: 'garbage', why: 'a line that is not JSON' };
  }
  if (!isPlainObject(msg)) return { kind: 'garbage', why: 'JSON that is not a QMP message' };
  if (expectGreeting) {
    if (typeof msg.event === 'string' && !('QMP' in msg)) return { kind: 'ignore' };
    const qmp = msg.QMP;
    if (!isPlainObject(qmp) || !isPlainObject(qmp.version)) {
      return { kind: 'garbage', why: 'something other than a QMP greeting' };
    }
    return { kind: 'greeting', greeting: msg as unknown as QmpGreeting };
  }
  if (typeof msg.event === 'string') return { kind: 'event', msg };
  if ('return' in msg || isPlainObject(msg.error)) {
    return { kind: 'reply', id: msg.id, result: msg.return, ...(isPlainObject(msg.error) ? { error: msg.error } : {}) };
  }
  if ('QMP' in msg) return { kind: 'ignore' }; // a second greeting would be odd but harmless
  return { kind: 'garbage', why: 'JSON that is not a QMP reply or event' };
}
