/**
 * Run an operation under a deadline. When it expires the returned promise rejects with onTimeout()
 * and the signal handed to the body aborts, so the body can close what it opened (its own promise is
 * still observed, so a late rejection is never unhandled).
 */
export async function withDeadline<T>(
  ms: number,
  onTimeout: () => Error,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = onTimeout();
      ac.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([body(ac.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Shorten a command for messages. */
export function shortCommand(cmd: string, max = 160): string {
  const oneLine = cmd.replace(/\n/g, '\\n');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
