/** What the lab's sshd logs (LogLevel VERBOSE) say about a command's SSH traffic. */
import { existsSync, readFileSync } from 'node:fs';
import { countAcceptedConnections } from '../../src/lab/sshd.ts';

export interface SshCounts {
  /** TCP connections accepted (src/lab/sshd.ts countAcceptedConnections). */
  connections: number;
  /** Exec sessions started ("Starting session: command ..."): remote commands run. */
  commands: number;
}

export function sshCounts(logFile: string): SshCounts {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  return {
    connections: countAcceptedConnections(logFile),
    commands: text.split('\n').filter((l) => /Starting session: command/.test(l)).length,
  };
}

export function diffCounts(after: SshCounts, before: SshCounts): SshCounts {
  return { connections: after.connections - before.connections, commands: after.commands - before.commands };
}
