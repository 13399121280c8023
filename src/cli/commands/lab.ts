/** `colo lab up|down`: the local one-machine COLO lab (two sshd hosts on loopback, tiny guest). */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { labDown, labUp } from '../../lab/lab.ts';
import { UserError } from '../user-error.ts';

export function registerLab(program: Command, wire: Wire): void {
  const lab = program
    .command('lab')
    .description('a local COLO lab on this machine: two sshd "hosts" on 127.0.0.11/127.0.0.12 and a tiny guest');
  lab
    .command('up')
    .description('build (once, cached) the test QEMU and guest, start the two sshd hosts, write a ready spec')
    .option('--dir <dir>', 'lab directory (holds the spec, keys, images, host work dirs)', 'colo-lab')
    .option('--vms <n>', 'number of VM pairs', '1')
    .option('--qemu-binary <path>', 'use this qemu-system-x86_64 instead of building the patched test QEMU')
    .option('--json', 'print the lab description as JSON')
    .action(
      wire(async (opts: { dir: string; vms: string; qemuBinary?: string; json?: boolean }) => {
        const vms = Number(opts.vms);
        if (!Number.isInteger(vms) || vms < 1 || vms > 100)
          throw new UserError(`--vms: expected a whole number from 1 to 100, got "${opts.vms}"`);
        let info;
        try {
          info = await labUp({
            dir: opts.dir,
            vms,
            log: (l) => process.stderr.write(`${l}\n`),
            ...(opts.qemuBinary ? { qemuBinary: opts.qemuBinary } : {}),
          });
        } catch (err) {
          throw new UserError(`lab up failed: ${(err as Error).message}`);
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
        else {
          process.stdout.write(
            [
              `Lab ready in ${info.dir}`,
              ...info.hosts.map((h) => `  host ${h.name}: sshd on ${h.address}:${h.port}`),
              ...info.vms.map((v) => `  vm ${v.name}: service on http://127.0.0.11:${v.servicePort}/ once applied`),
              '',
              `Next: colo apply -f ${info.specFile} --auto-approve`,
              '',
            ].join('\n'),
          );
        }
        return 0;
      }),
    );
  lab
    .command('down')
    .description('kill the lab QEMUs, stop its sshd hosts and remove the lab directory')
    .option('--dir <dir>', 'lab directory', 'colo-lab')
    .action(
      wire(async (opts: { dir: string }) => {
        let r;
        try {
          r = await labDown(opts.dir);
        } catch (err) {
          throw new UserError(`lab down: ${(err as Error).message}`);
        }
        process.stdout.write(`Lab removed (${r.killed} QEMU process${r.killed === 1 ? '' : 'es'} stopped).\n`);
        return 0;
      }),
    );
}
