/**
 * `colo lab up --network netns --cluster`: the spec's `cluster:` section for the lab (pure), and the
 * check that this machine has the cluster packages. Each host runs its own corosync and pacemakerd
 * (in its mount namespace: host-root.ts), started without systemd (`services: direct`); the cluster
 * talks on the replication network (each host's replicationAddress, the default); fencing is each
 * host's fence.command (`colo lab kill-host`), run by fence_colo on the surviving host. Timings as
 * measured stable on a 2-vCPU machine: token 300 ms, knet ping 100 ms / timeout 1000 ms (a shorter
 * knet timeout makes the link flap at this token), priority-fencing-delay 1 s (the smallest that
 * counts: fenced applies it in whole seconds).
 */
import { existsSync } from 'node:fs';

/** Programs the lab's cluster needs on this machine, with the Debian package of each. */
export const LAB_CLUSTER_PROGRAMS: readonly { path: string; pkg: string }[] = [
  { path: '/usr/sbin/corosync', pkg: 'corosync' },
  { path: '/usr/sbin/corosync-cfgtool', pkg: 'corosync' },
  { path: '/usr/sbin/pacemakerd', pkg: 'pacemaker' },
  { path: '/usr/sbin/crm_mon', pkg: 'pacemaker-cli-utils' },
  { path: '/usr/sbin/cibadmin', pkg: 'pacemaker-cli-utils' },
  { path: '/usr/sbin/crmadmin', pkg: 'pacemaker-cli-utils' },
  { path: '/usr/bin/unshare', pkg: 'util-linux' },
];

/** The packages missing on this machine, or [] (`exists` is for the tests). */
export function missingClusterPackages(exists: (p: string) => boolean = existsSync): string[] {
  return [...new Set(LAB_CLUSTER_PROGRAMS.filter((p) => !exists(p.path)).map((p) => p.pkg))];
}

/** Refuses with the install command when a package is missing. */
export function assertClusterPackages(exists: (p: string) => boolean = existsSync): void {
  const missing = missingClusterPackages(exists);
  if (missing.length === 0) return;
  throw new Error(
    `the lab's cluster needs ${missing.join(', ')}: apt-get install -y --no-install-recommends ` +
      'pacemaker corosync pacemaker-cli-utils resource-agents fence-agents',
  );
}

/** The `cluster:` section of the lab's spec. */
export function labClusterSection(): Record<string, unknown> {
  return {
    name: 'lab',
    services: 'direct',
    token: '300ms',
    knet: { pingInterval: '100ms', pingTimeout: '1000ms' },
    priorityFencingDelay: '1s',
  };
}
