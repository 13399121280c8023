/** A raw host (defaults merged) -> resolved `HostSpec`: SSH defaults, `~/` expanded, fence timeout. */
import * as D from './builtin-defaults.ts';
import type { RawHost } from './raw-spec.ts';
import { strings, valueOr } from './resolve-values.ts';
import type { HostSpec } from './types.ts';
import { parseDuration } from './units.ts';

export interface ResolveOptions {
  /** SSH user when the spec names none (the user running colo). */
  defaultUser: string;
  /** Home directory for `~/` in identityFile. */
  homeDir: string;
}

export function resolveHost(name: string, host: RawHost, opts: ResolveOptions): HostSpec {
  const local = host.local === true;
  const ssh =
    !local && host.ssh
      ? {
          address: host.ssh.address ?? '',
          port: host.ssh.port ?? D.DEFAULT_SSH_PORT,
          user: host.ssh.user ?? opts.defaultUser,
          ...(host.ssh.identityFile !== undefined
            ? { identityFile: expandHome(host.ssh.identityFile, opts.homeDir) }
            : {}),
          agent: host.ssh.agent ?? host.ssh.identityFile === undefined,
          ...(host.ssh.hostKey !== undefined ? { hostKey: host.ssh.hostKey } : {}),
        }
      : undefined;
  const spec: HostSpec = {
    name,
    local,
    replicationAddress: host.replicationAddress ?? ssh?.address ?? '',
    qemu: {
      binary: host.qemu?.binary ?? D.DEFAULT_QEMU_BINARY,
      img: host.qemu?.img ?? D.DEFAULT_QEMU_IMG,
      firmware: strings(host.qemu?.firmware),
      sandbox: host.qemu?.sandbox ?? true,
      ...(host.qemu?.runAs !== undefined ? { runAs: host.qemu.runAs } : {}),
    },
    workDir: host.workDir ?? D.DEFAULT_WORK_DIR,
  };
  if (ssh) spec.ssh = ssh;
  if (host.fence?.command) {
    spec.fence = {
      command: strings(host.fence.command),
      timeoutMs:
        host.fence.timeout !== undefined
          ? valueOr(parseDuration(host.fence.timeout), D.DEFAULT_FENCE_TIMEOUT_MS)
          : D.DEFAULT_FENCE_TIMEOUT_MS,
    };
    if (host.fence.envFile !== undefined) spec.fence.envFile = expandHome(host.fence.envFile, opts.homeDir);
  }
  return spec;
}

function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? `${home.replace(/\/$/, '')}/${path.slice(2)}` : path;
}
