/** QMP wire types and the client error type. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

/** One QMP command as data: what render produces and the engine executes. */
export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

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
