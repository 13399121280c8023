/** QMP wire types and the client error type. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

import type { QmpCommand } from '../render/qmp-command.ts';

export type { QmpCommand };

/** QEMU answered with an error. */
export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${command}: ${errorClass}: ${desc}`);
    this.name = 'QmpError';
  }
}

/** The stream closed, a call timed out, or the peer spoke garbage. */
export class QmpConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpConnectionError';
  }
}

/** A QMP call or an event wait ran out of time (a QmpConnectionError, so callers catching those also catch this). */
export class QmpTimeoutError extends QmpConnectionError {
  constructor(
    message: string,
    /** The command or event name that timed out. */
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(message);
    this.name = 'QmpTimeoutError';
  }
}

/** An event as the client delivers it: with a client-local, monotonically increasing sequence number. */
export interface QmpEventRecord extends QmpEvent {
  /** 1 for the first event on this connection, then +1 per event. */
  seq: number;
}

/** What a probe of a running QEMU learned (src/qmp/probe.ts). */
export interface QemuProbe {
  version: { major: number; minor: number; micro: number };
  /** Build/package string from query-version, e.g. "Debian 1:7.2+dfsg-7+deb12u18+b3" (trimmed, may be ""). */
  package: string;
  /** Migration capability names from query-migrate-capabilities. */
  capabilities: string[];
  /** x-colo capability present and x-colo-lost-heartbeat + query-colo-status commands present. */
  hasColo: boolean;
  /** Block replication compiled in (the `replication` block driver, CONFIG_REPLICATION). */
  hasReplication: boolean;
  /** colo-compare and filter-mirror/-redirector/-rewriter object types present. */
  hasColoProxy: boolean;
  /** Names from query-commands. */
  commands: Set<string>;
}
