/** `colo render`: what colo would run on each host, without contacting any host (a debugging aid). */
import type { Command } from '@commander-js/extra-typings';
import type { Wire } from '../exit-code.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { DEFAULT_QEMU_VERSION, formatQemuVersion, parseQemuVersion } from '../../render/dialect.ts';
import { renderView } from '../../ui/views/render/index.ts';
import { UserError } from '../user-error.ts';

export function registerRender(program: Command, wire: Wire): void {
  program
    .command('render')
    .description('print, per VM and host, the commands and QMP sequences colo would run (no host is contacted)')
    .argument('[vm...]', 'VMs to render (default: all)')
    .option('-f, --file <path>', 'spec file', 'colo.yaml')
    .option('--qemu-version <version>', 'QEMU version to render for (dialect)', formatQemuVersion(DEFAULT_QEMU_VERSION))
    .option('--kvm', 'render accel auto as kvm (default: as tcg)')
    .option('--json', 'print the recipes as JSON')
    .action(
      wire(async (names: string[], opts: { file: string; qemuVersion: string; kvm?: boolean; json?: boolean }) => {
        const spec = await loadSpecOrFail(opts.file);
        const version = parseQemuVersion(opts.qemuVersion);
        if (!version)
          throw new UserError(
            `--qemu-version: "${opts.qemuVersion}" is not a version like ${formatQemuVersion(DEFAULT_QEMU_VERSION)}`,
          );
        const unknown = names.filter((n) => !spec.vms.some((v) => v.name === n));
        if (unknown.length > 0)
          throw new UserError(
            `no VM named ${unknown.join(', ')} in ${opts.file} (VMs: ${spec.vms.map((v) => v.name).join(', ')})`,
          );
        const vms = spec.vms.filter((v) => names.length === 0 || names.includes(v.name));
        process.stdout.write(renderView(spec, vms, { version, kvm: !!opts.kvm, json: !!opts.json }));
        return 0;
      }),
    );
}
