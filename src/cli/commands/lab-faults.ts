/**
 * `colo lab kill-host / isolate-host / revive-host / cut / heal`: host death, isolation and cut
 * cables in the netns lab (src/lab/netns/host-faults.ts). kill-host is also each host's
 * fence.command in the lab's spec.
 */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { CUT_LINKS, isCutLink } from '../../lab/netns/host-links.ts';
import { cutLink, healHost, isLabHost, isolateHost, killHost, reviveHost } from '../../lab/netns/host-faults.ts';
import { LAB_HOST_NAMES, type LabHostName } from '../../lab/netns/names.ts';
import { UserError } from '../user-error.ts';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function hostArg(name: string, command: string): LabHostName {
  if (!isLabHost(name))
    throw new UserError(`lab ${command}: unknown host "${name}" (expected ${LAB_HOST_NAMES.join(' or ')})`);
  return name;
}

async function guarded<T>(command: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new UserError(`lab ${command}: ${(err as Error).message}`);
  }
}

async function killHostCmd(name: string, opts: { dir: string }): Promise<number> {
  const host = hostArg(name, 'kill-host');
  const r = await guarded('kill-host', () => killHost(opts.dir, host));
  out(
    r.killed > 0
      ? `Host ${host} powered off: links down, ${r.killed} process(es) killed in ${r.namespace}.`
      : `Host ${host} is off: links down, nothing runs in ${r.namespace}.`,
  );
  return 0;
}

async function isolateHostCmd(name: string, opts: { dir: string }): Promise<number> {
  const host = hostArg(name, 'isolate-host');
  const r = await guarded('isolate-host', () => isolateHost(opts.dir, host));
  out(
    `Host ${host} isolated: links down, ${r.running} process(es) still running in ${r.namespace} ` +
      `("colo lab revive-host ${host}" sets its links up again).`,
  );
  return 0;
}

async function reviveHostCmd(name: string, opts: { dir: string }): Promise<number> {
  const host = hostArg(name, 'revive-host');
  const r = await guarded('revive-host', () => reviveHost(opts.dir, host));
  out(
    r.sshdStarted
      ? `Host ${host} is back: links up, sshd started (no QEMU: "colo apply" re-protects onto it).`
      : `Host ${host} was running: links up, its sshd already ran.`,
  );
  return 0;
}

async function cutCmd(name: string, link: string, opts: { dir: string }): Promise<number> {
  const host = hostArg(name, 'cut');
  if (!isCutLink(link)) throw new UserError(`lab cut: unknown link "${link}" (expected ${CUT_LINKS.join(' or ')})`);
  await guarded('cut', () => cutLink(opts.dir, host, link));
  out(`Cut ${host}'s ${link} link at the lab switch ("colo lab heal ${host}" plugs it back).`);
  return 0;
}

async function healCmd(name: string, opts: { dir: string }): Promise<number> {
  const host = hostArg(name, 'heal');
  await guarded('heal', () => healHost(opts.dir, host));
  out(`Healed ${host}: its LAN and replication links are up at the lab switch.`);
  return 0;
}

export function registerLabFaults(lab: Command, wire: Wire): void {
  const dirOption = ['--dir <dir>', 'lab directory', 'colo-lab'] as const;
  lab
    .command('kill-host')
    .description('netns lab: power a host off (its links down, every process in its namespace killed)')
    .argument('<host>', LAB_HOST_NAMES.join(' or '))
    .option(...dirOption)
    .action(wire(killHostCmd));
  lab
    .command('isolate-host')
    .description('netns lab: cut a host off (its links down, its processes left running)')
    .argument('<host>', LAB_HOST_NAMES.join(' or '))
    .option(...dirOption)
    .action(wire(isolateHostCmd));
  lab
    .command('revive-host')
    .description('netns lab: power a host back on (links up, sshd started; no QEMU)')
    .argument('<host>', LAB_HOST_NAMES.join(' or '))
    .option(...dirOption)
    .action(wire(reviveHostCmd));
  lab
    .command('cut')
    .description("netns lab: cut one of a host's links at the lab switch")
    .argument('<host>', LAB_HOST_NAMES.join(' or '))
    .argument('<link>', CUT_LINKS.join(' or '))
    .option(...dirOption)
    .action(wire(cutCmd));
  lab
    .command('heal')
    .description("netns lab: restore a host's cut links")
    .argument('<host>', LAB_HOST_NAMES.join(' or '))
    .option(...dirOption)
    .action(wire(healCmd));
}
