/** Semantic checks of `hosts` (and `defaults.host`) that the schema cannot express. */
import type { RawSpec } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';

export function checkHosts(raw: RawSpec, r: Reporter): void {
  const hostDefaults = raw.defaults?.host;

  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    if (!host) continue;
    const at = ['hosts', name];
    if (host.local === true) {
      if (r.written([...at, 'ssh'])) {
        r.error(
          [...at, 'ssh'],
          `host ${name} is local (local: true) and must not have an ssh block; remove one of them`,
          'key',
        );
      }
      if (!r.written([...at, 'replicationAddress'])) {
        r.error(
          at,
          `missing required key "replicationAddress" in ${formatPath(at)} (a local host has no ssh.address to ` +
            `default to)`,
          'key',
        );
      }
    } else if (!r.written([...at, 'ssh'])) {
      r.error(at, `missing required key "ssh" in ${formatPath(at)} (or set local: true to run on this machine)`, 'key');
    } else if (host.ssh) {
      const agent = host.ssh.agent ?? hostDefaults?.ssh?.agent;
      const identityFile = host.ssh.identityFile ?? hostDefaults?.ssh?.identityFile;
      if (agent === false && identityFile === undefined) {
        const where = host.ssh.agent === false ? [...at, 'ssh', 'agent'] : [...at, 'ssh'];
        r.error(where, `host ${name} has no way to authenticate: set ssh.identityFile or ssh.agent: true`);
      }
    }

    if (host.ssh?.hostKey !== undefined) {
      const problem = hostKeyProblem(host.ssh.hostKey);
      if (problem) r.error([...at, 'ssh', 'hostKey'], `${formatPath([...at, 'ssh', 'hostKey'])}: ${problem}`);
    }
  }
  for (const at of [['defaults', 'host'], ...Object.keys(raw.hosts ?? {}).map((n) => ['hosts', n])]) {
    const ssh = at[0] === 'defaults' ? hostDefaults?.ssh : raw.hosts?.[at[1] as string]?.ssh;
    if (ssh?.user !== undefined) checkUser(r, [...at, 'ssh', 'user'], ssh.user);
  }
}

/** A login name, not `user@host` or a name with spaces (ssh would send it as written). */
function checkUser(r: Reporter, path: SpecPath, user: string): void {
  const where = formatPath(path);
  const at = user.indexOf('@');
  if (at >= 0) {
    r.error(
      path,
      `${where}: ${JSON.stringify(user)} has an "@": write the user alone (${user.slice(0, at)}) and the ` +
        `host in ssh.address`,
    );
  } else if (/[\s:/]/.test(user)) {
    r.error(path, `${where}: ${JSON.stringify(user)} is not a login name (no spaces, ":" or "/")`);
  }
}

/**
 * An OpenSSH public key line is `TYPE BASE64 [comment]`, and the base64 blob starts with the same
 * TYPE as a length-prefixed string. Catches truncated or mismatched keys pasted into the spec.
 */
export function hostKeyProblem(line: string): string | undefined {
  const [type, b64] = line.split(' ');
  if (type === undefined || b64 === undefined) return 'expected "TYPE BASE64", e.g. "ssh-ed25519 AAAAC3Nza..."';
  const blob = Buffer.from(b64, 'base64');
  if (blob.length < 4 || blob.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, ''))
    return 'the key is not valid base64';
  const len = blob.readUInt32BE(0);
  const inner = blob.subarray(4, 4 + len).toString('latin1');
  if (len > blob.length - 4 || inner !== type) return `the key data is not an ${type} key (truncated or pasted wrong?)`;
  if (type === 'ssh-ed25519' && blob.length !== 51)
    return 'the key data is not a complete ssh-ed25519 key (truncated?)';
  return undefined;
}
