/** Ending a QMP stream gracefully, but never waiting long for the peer. */
import type { Duplex } from 'node:stream';

/** Ends `stream`, waits for `closed` up to `graceMs`, then destroys what is left. */
export async function endStream(stream: Duplex, closed: Promise<void>, graceMs = 2000): Promise<void> {
  if (stream.destroyed) return;
  stream.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    closed,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!stream.destroyed) stream.destroy();
}
