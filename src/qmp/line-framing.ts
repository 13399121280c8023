/**
 * QMP's wire framing: one JSON object per line (QEMU ends lines with "\r\n"), split out of a byte
 * stream that may cut a line (or a UTF-8 character) anywhere.
 */
import { StringDecoder } from 'node:string_decoder';

/** query-qmp-schema is a few hundred KiB; anything far beyond this is not QMP. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;
const GARBAGE_SHOWN_CHARS = 120;

/** `text` cut to a readable length for an error message, JSON-quoted so control characters show. */
export function truncateForMessage(text: string, max = GARBAGE_SHOWN_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  const more = text.length > max ? ` (${text.length} chars)` : '';
  return `${JSON.stringify(cut)}${more}`;
}

/** Collects chunks and hands out complete, non-blank lines without their line end. */
export class LineReader {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';

  /** Adds a chunk. */
  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
  }

  /** The next complete line (blank lines skipped), or undefined until more data arrives. */
  next(): string | undefined {
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() !== '') return line;
    }
    return undefined;
  }

  /** What waits for a line end; past MAX_LINE_CHARS the peer is not speaking QMP. */
  get unterminated(): string {
    return this.buffer;
  }
}

/** A parsed line that can be a QMP message: a JSON object. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
