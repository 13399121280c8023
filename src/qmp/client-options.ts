/** The QMP client's options and result types. */
import type { QmpCommand, QmpConnectionError } from './types.ts';

export interface QmpConnectOptions {
  /** Time allowed for the greeting plus the qmp_capabilities handshake. Default 10 000 ms. */
  timeoutMs?: number;
  /** Default per-call timeout for execute()/executeAll(); 0 disables it. Default 30 000 ms. */
  callTimeoutMs?: number;
  /** How many recent events to keep for waitForEvent({ since }). Default 256. */
  eventBufferSize?: number;
  /** Names the peer in error messages, e.g. "primary 127.0.0.11". */
  label?: string;
  /**
   * Negotiate out-of-band execution when QEMU offers it (its monitor runs in an I/O thread: a socket
   * chardev, not stdio); `oob` then tells whether it did. Default false.
   */
  oob?: boolean;
  /** Raw traffic hook (debug traces). Called with each line sent or received, without the line end. */
  trace?: (direction: 'send' | 'recv', line: string) => void;
}

export interface QmpCallOptions {
  /** Overrides the client's default call timeout; 0 disables it. */
  timeoutMs?: number;
  /** Send it out-of-band (`exec-oob`); rejects at once when the connection did not negotiate OOB. */
  oob?: boolean;
}

export interface QmpSequenceOptions extends QmpCallOptions {
  /** Called after each command of a sequence succeeds. */
  onResult?: (index: number, command: QmpCommand, result: unknown) => void;
}

export interface QmpWaitOptions {
  /** Default: the client's call timeout; 0 waits forever. */
  timeoutMs?: number;
  /**
   * Also match buffered events with a sequence number greater than this (take it from `eventSeq`
   * before sending the command that causes the event). Omitted: only events arriving after the call.
   */
  since?: number;
}

export type QmpSettled = { ok: true; value: unknown } | { ok: false; error: Error };

export interface QmpCloseInfo {
  /** True when the client closed the stream itself, or the peer closed it after `quit`. */
  expected: boolean;
  error: QmpConnectionError;
}
