/** Reading (and the file system the verifier records through) of a known_hosts file. */
import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { parseKnownHosts } from './known-hosts.ts';
import type { ParsedKnownHosts } from './known-hosts.ts';
import { HostKeyError } from './types.ts';

export function defaultKnownHostsFile(): string {
  return `${homedir()}/.ssh/known_hosts`;
}

/** Minimal fs surface used by the verifier (injectable in tests). */
export interface KnownHostsFs {
  readFile(path: string): Promise<string>;
  appendFile(path: string, data: string, mode: number): Promise<void>;
  mkdir(path: string, mode: number): Promise<void>;
}

export const nodeKnownHostsFs: KnownHostsFs = {
  readFile: (p) => fsp.readFile(p, 'utf8'),
  appendFile: (p, d, mode) => fsp.appendFile(p, d, { mode }),
  mkdir: async (p, mode) => {
    await fsp.mkdir(p, { recursive: true, mode });
  },
};

/** Read a known_hosts file: missing = empty; anything else unreadable = HostKeyError (fail closed). */
export async function readKnownHosts(
  file: string,
  hostName: string,
  fs: KnownHostsFs = nodeKnownHostsFs,
): Promise<{ parsed: ParsedKnownHosts; text: string }> {
  try {
    const text = await fs.readFile(file);
    return { parsed: parseKnownHosts(text), text };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { parsed: { entries: [], invalidLines: [] }, text: '' };
    throw new HostKeyError(
      hostName,
      `cannot read known hosts file ${file} (${code ?? (e as Error).message}); refusing to connect to ` +
        `${hostName} without checking its host key`,
    );
  }
}
