/**
 * A fence command's secrets (`fence.envFile`): a local file of KEY=VALUE lines, read when the
 * command runs and passed to it as environment, never in argv (where `ps` and saved plans show
 * them). Its values are redacted from anything colo reports about the command. Pure but for the
 * read, which goes through the local Transport.
 */
import { FailoverRefused } from '../plan/failover-decision.ts';
import { LocalTransport } from '../transport/local-transport.ts';

/** Values shorter than this are not redacted (they would garble ordinary words and numbers). */
export const REDACT_MIN_LENGTH = 4;
export const REDACTED = '[redacted]';

/** `KEY=VALUE` lines; `#` comments and blank lines skipped; an optional `export `; one pair of quotes removed. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new FailoverRefused(`${file}:${i + 1}: not a KEY=VALUE line (fence.envFile)`);
    let value = m[2]!;
    if (value.length >= 2 && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    env[m[1]!] = value;
  });
  return env;
}

/** `text` with every env value of REDACT_MIN_LENGTH characters or more replaced by REDACTED. */
export function redactValues(text: string, env: Record<string, string>): string {
  const values = Object.values(env)
    .filter((v) => v.length >= REDACT_MIN_LENGTH)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) out = out.split(v).join(REDACTED);
  return out;
}

/** Reads and parses a fence env file on this machine; a FailoverRefused naming the file when it cannot. */
export async function readFenceEnv(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = (await new LocalTransport('localhost').readFile(file, { timeoutMs: 5000 })).toString('utf8');
  } catch (err) {
    throw new FailoverRefused(`cannot read the fence env file ${file}: ${(err as Error).message}`);
  }
  return parseEnvFile(text, file);
}
