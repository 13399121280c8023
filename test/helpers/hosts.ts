/**
 * Real test hosts: two OpenSSH sshd instances, "alpha" on 127.0.0.11 and "beta" on 127.0.0.12, each
 * on a free port, with their own host keys, one authorized client key and a known_hosts listing them,
 * all in a fresh temp dir. Stop them in an `after` hook.
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostSpec } from '../../src/spec/types.ts';
import { countAcceptedConnections, startSshHosts, type SshHostRunning, type SshLab } from '../../src/lab/sshd.ts';
import type { SshTarget } from '../../src/transport/ssh-transport.ts';

export const TEST_HOSTS = [
  { name: 'alpha', address: '127.0.0.11' },
  { name: 'beta', address: '127.0.0.12' },
] as const;

/** Fail (never skip) when a binary a test needs is missing. */
export function requireBinary(path: string, aptPackage: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `${path} is missing: this test needs the Debian package ${aptPackage} (apt-get install -y ${aptPackage}; ` +
        `.ci/run installs it)`,
    );
  }
}

export interface TestHosts {
  /** Temp dir holding everything (removed by stop()). */
  dir: string;
  lab: SshLab;
  host(name: string): SshHostRunning;
  /** SshTarget for a host using the lab's client key. */
  target(name: string, overrides?: Partial<SshTarget>): SshTarget;
  /** A spec HostSpec reaching the host over SSH with the lab key; workDir under the temp dir. */
  hostSpec(name: string, overrides?: Partial<HostSpec>): HostSpec;
  /** Accepted TCP connections in the host's sshd log so far. */
  accepts(name: string): number;
  stop(): Promise<void>;
}

export async function startTestHosts(
  hosts: readonly { name: string; address: string }[] = TEST_HOSTS,
): Promise<TestHosts> {
  requireBinary('/usr/sbin/sshd', 'openssh-server');
  requireBinary('/usr/bin/ssh-keygen', 'openssh-client');
  const dir = await mkdtemp(join(tmpdir(), 'colo-hosts-'));
  let lab: SshLab;
  try {
    lab = await startSshHosts({ dir, hosts: hosts.map((h) => ({ ...h })) });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const host = (name: string): SshHostRunning => {
    const h = lab.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no test host ${name}`);
    return h;
  };
  return {
    dir,
    lab,
    host,
    target: (name, overrides = {}) => {
      const h = host(name);
      return { name, address: h.address, port: h.port, user: lab.user, identityFile: lab.clientKey, ...overrides };
    },
    hostSpec: (name, overrides = {}) => {
      const h = host(name);
      return {
        name,
        ssh: { address: h.address, port: h.port, user: lab.user, identityFile: lab.clientKey, agent: false },
        local: false,
        replicationAddress: h.address,
        qemu: { binary: '/usr/bin/qemu-system-x86_64', img: '/usr/bin/qemu-img', firmware: [], sandbox: true },
        workDir: join(dir, name, 'work'),
        ...overrides,
      };
    },
    accepts: (name) => countAcceptedConnections(host(name).logFile),
    stop: async () => {
      await lab.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
