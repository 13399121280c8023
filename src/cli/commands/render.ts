/** `colo render`: what colo would run on each host, without touching any host (a debugging aid). */
import type { Command } from '@commander-js/extra-typings';
import type { SetExitCode } from './index.ts';
import { loadSpecOrFail } from '../load-spec-or-fail.ts';
import { renderVm } from '../../render/index.ts';
import { dialectForVersion, parseQemuVersion } from '../../render/dialect.ts';
import { renderVmText } from '../../ui/render-text.ts';
import { UserError } from '../user-error.ts';

export function registerRender(program: Command, setExit: SetExitCode): void {
  program
    .command('render')
    .description('print, per VM and host, the commands and QMP sequences colo would run (no host is contacted)')
    .argument('[vm...]', 'VMs to render (default: all)')
    .option('-f, --file <path>', 'spec file', 'colo.yaml')
    .option('--qemu-version <version>', 'QEMU version to render for (dialect)', '7.2.0')
    .option('--kvm', 'render accel auto as kvm (default: as tcg)')
    .option('--json', 'print the renderings as JSON')
    .action(async (names, opts) => {
      const spec = await loadSpecOrFail(opts.file);
      const version = parseQemuVersion(opts.qemuVersion);
      if (!version) throw new UserError(`--qemu-version: "${opts.qemuVersion}" is not a version like 7.2.0`);
      const unknown = names.filter((n) => !spec.vms.some((v) => v.name === n));
      if (unknown.length > 0)
        throw new UserError(
          `no VM named ${unknown.join(', ')} in ${opts.file} (VMs: ${spec.vms.map((v) => v.name).join(', ')})`,
        );
      const vms = spec.vms.filter((v) => names.length === 0 || names.includes(v.name));
      const dialect = dialectForVersion(version);
      const renderings = vms.map((vm) => renderVm(spec, vm, { qemu: () => ({ dialect, kvmAvailable: !!opts.kvm }) }));
      process.stdout.write(
        opts.json ? `${JSON.stringify(renderings, null, 2)}\n` : renderings.map(renderVmText).join('\n'),
      );
      setExit(0);
    });
}
