/**
 * Each host of the netns lab is also a private mount and UTS namespace (`unshare -m -u --propagation
 * private`), so that what colo runs there over SSH (corosync.conf, corosync, pacemakerd, crm_mon,
 * cibadmin, the OCF and fence agents it installs) sees that host's cluster only, as on a machine of
 * its own. The host's sshd is started through HOST_INIT_SCRIPT, which makes the namespace's mounts
 * and then execs sshd (which daemonizes: the namespace lives as long as something runs in it, and
 * goes with `colo lab kill-host`, which kills every process of the host).
 *
 * Per host, below its root directory R in the lab directory (readable from outside):
 * - overlays (upper R/overlay/NAME/upper) over /etc, /usr/sbin and /usr/lib/ocf: what colo installs
 *   there (fence_colo, the OCF agent, /etc/colo) stays this host's and goes with the lab directory;
 * - bind mounts of R/etc-corosync, R/var-lib-corosync, R/var-lib-pacemaker (cib, pengine, blackbox,
 *   cores: hacluster:haclient 0750), R/log-pacemaker (0770), R/log-cluster over their system paths;
 * - a tmpfs over /run (with /run/sshd for sshd's privilege separation, /run/crm, /run/lock) and one
 *   over /dev/shm (libqb's ring buffers: clients of a host's daemons must be in its mount namespace);
 * - /run/netns of the machine moved into the new /run (the lab's power switch, `colo lab kill-host`,
 *   run by the fence agent of a surviving host, finds the other host's namespace by its name).
 *
 * Values reach the script only as positional parameters. Pure but for writeHostInit.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The state directories bound over the system paths, by their directory name below R. */
export const HOST_BIND_DIRS = [
  ['etc-corosync', '/etc/corosync'],
  ['var-lib-corosync', '/var/lib/corosync'],
  ['var-lib-pacemaker', '/var/lib/pacemaker'],
  ['log-pacemaker', '/var/log/pacemaker'],
  ['log-cluster', '/var/log/cluster'],
] as const;

/** The system directories each host sees through an overlay of its own. */
export const HOST_OVERLAY_DIRS = [
  ['etc', '/etc'],
  ['usr-sbin', '/usr/sbin'],
  ['usr-lib-ocf', '/usr/lib/ocf'],
] as const;

/** Characters a host root may hold: it goes into overlay's option string (split on commas and colons). */
const ROOT_PATH = /^\/[A-Za-z0-9_./+@-]+$/;

/**
 * $1 = R, $2 = the host name, then the command to exec (sshd and its options). Fails (non-zero, one
 * line on stderr) before exec when a mount cannot be made: a host without its own /run would share
 * the machine's.
 */
export const HOST_INIT_SCRIPT = [
  '#!/bin/sh',
  '# Written by "colo lab up --network netns": makes this lab host\'s private mounts, then execs its sshd.',
  'set -eu',
  'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
  'R=$1; name=$2; shift 2',
  'hostname "$name"',
  'mkdir -p "$R"',
  'ovl() {',
  '  [ -d "$2" ] || return 0',
  '  mkdir -p "$R/overlay/$1/upper" "$R/overlay/$1/work"',
  '  mount -t overlay "colo-lab-$1" -o "lowerdir=$2,upperdir=$R/overlay/$1/upper,workdir=$R/overlay/$1/work" "$2"',
  '}',
  ...HOST_OVERLAY_DIRS.map(([d, target]) => `ovl ${d} ${target}`),
  'bind() {',
  '  mkdir -p "$R/$1"',
  // a missing mount point is made on the machine (an empty directory; the packages make most of them)
  '  [ -d "$2" ] || mkdir -p "$2"',
  '  mount --bind "$R/$1" "$2"',
  '}',
  ...HOST_BIND_DIRS.map(([d, target]) => `bind ${d} ${target}`),
  'if id hacluster >/dev/null 2>&1; then',
  '  for d in cib pengine blackbox cores; do mkdir -p "/var/lib/pacemaker/$d"; done',
  '  chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker',
  '  chmod 0750 /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox ' +
    '/var/lib/pacemaker/cores',
  '  chmod 0770 /var/log/pacemaker',
  'fi',
  'chmod 0700 /var/lib/corosync /etc/corosync',
  'netns=',
  'if [ -d /run/netns ]; then netns="$R/.run-netns"; mkdir -p "$netns"; mount --rbind /run/netns "$netns"; fi',
  'mount -t tmpfs -o mode=0755,nosuid,nodev colo-lab-run /run',
  'mkdir -p -m 0755 /run/sshd /run/lock',
  'if [ -n "$netns" ]; then mkdir -p /run/netns; mount --move "$netns" /run/netns; fi',
  'if id hacluster >/dev/null 2>&1; then mkdir -p -m 0750 /run/crm; chown hacluster:haclient /run/crm; fi',
  'mount -t tmpfs -o mode=1777,nosuid,nodev colo-lab-shm /dev/shm',
  'exec "$@"',
  '',
].join('\n');

/** The host's root directory in the lab directory. */
export function hostRootDir(labDir: string, host: string): string {
  return path.join(labDir, 'hosts', host, 'root');
}

/** Where the lab writes HOST_INIT_SCRIPT. */
export function hostInitPath(labDir: string): string {
  return path.join(labDir, 'net', 'host-init');
}

/**
 * The argv prefix that runs a command as the host (inside its network namespace: `ip netns exec NS`
 * comes before it): a new mount and UTS namespace, made by the init script.
 */
export function hostLauncher(labDir: string, host: string): string[] {
  const root = hostRootDir(labDir, host);
  if (!ROOT_PATH.test(root))
    throw new Error(
      `the lab directory ${labDir} has a character a lab host's overlay mounts cannot carry (only letters, ` +
        'digits and _ . / + @ - are allowed): choose another --dir',
    );
  return ['unshare', '-m', '-u', '--propagation', 'private', hostInitPath(labDir), root, host];
}

/** Writes the init script (0700) into the lab directory. */
export async function writeHostInit(labDir: string): Promise<string> {
  const file = hostInitPath(labDir);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, HOST_INIT_SCRIPT, { mode: 0o700 });
  return file;
}
