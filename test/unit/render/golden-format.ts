/** Text form of every rendering of a spec, for the golden files. Lossless: argv tokens with spaces are JSON-quoted. */
import type { QmpCommand } from '../../../src/qmp/types.ts';
import {
  dialectForVersion,
  formatQemuVersion,
  initialPlacement,
  placementAfterFailoverToSecondary,
  renderVm,
  type HostQemu,
  type QmpPhase,
  type VmRendering,
} from '../../../src/render/index.ts';
import type { Spec, VmSpec } from '../../../src/spec/types.ts';

export const GOLDEN_BASE_VERSION = { major: 7, minor: 2, micro: 0 };
export const GOLDEN_NEW_VERSION = { major: 9, minor: 2, micro: 0 };
/** Size used for disks whose size the spec does not state (apply reads it with qemu-img info). */
export const STAND_IN_SIZE = 1024 * 1024 * 1024;

function token(a: string): string {
  return a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a;
}

/** One option per line: a flag and its value share a line. */
export function formatArgv(argv: string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (i > 0 && a.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`  ${token(a)} ${token(next)}`);
      i++;
    } else {
      lines.push(i === 0 ? token(a) : `  ${token(a)}`);
    }
  }
  return lines.join('\n');
}

function formatCommands(cmds: string[][]): string {
  return cmds.map((c) => c.map(token).join(' ')).join('\n');
}

function formatQmp(cmd: QmpCommand): string {
  return JSON.stringify(cmd);
}

function phaseSections(host: string, phases: QmpPhase[], note = ''): string[] {
  if (phases.length === 0) return [`--- ${host}: QMP (nothing)${note}`];
  return phases.map((p) => {
    const wait = p.waitFor ? ` (then wait ${p.waitFor.event} for ${p.waitFor.jobIds.join(', ')})` : '';
    return `--- ${host}: QMP ${p.name}${note}${wait}\n${p.commands.map(formatQmp).join('\n')}`;
  });
}

function sizesFor(vm: VmSpec): { sizes: Record<string, number>; note: string } {
  const sizes: Record<string, number> = {};
  const parts: string[] = [];
  for (const d of vm.disks) {
    const size = d.sizeBytes ?? STAND_IN_SIZE;
    sizes[d.id] = size;
    parts.push(`${d.id}=${size}${d.sizeBytes === undefined ? ' (stand-in: size read by qemu-img info at apply)' : ''}`);
  }
  return { sizes, note: parts.join(', ') };
}

function fullSections(r: VmRendering, sizeNote: string, primaryFailoverNote: string): string[] {
  const out: string[] = [];
  const p = r.primary.host;
  const s = r.secondary.host;
  out.push(`--- ${p}: work dir\n${formatCommands(r.primary.workDirPrep)}`);
  if (r.primary.argv) out.push(`--- ${p}: primary argv\n${formatArgv(r.primary.argv)}`);
  else out.push(`--- ${p}: primary argv: none, the promoted secondary QEMU keeps running`);
  out.push(`--- ${s}: image prep (disk sizes: ${sizeNote})\n${formatCommands(r.secondary.imagePrep ?? [])}`);
  out.push(`--- ${s}: secondary argv\n${formatArgv(r.secondary.argv)}`);
  out.push(...phaseSections(s, r.secondary.prepare));
  out.push(...phaseSections(p, r.primary.mirrorStart));
  out.push(...phaseSections(p, r.primary.switchover));
  out.push(...phaseSections(p, r.primary.resyncFinish));
  out.push(...phaseSections(p, r.primary.failover, primaryFailoverNote));
  out.push(...phaseSections(s, r.secondary.failover, ' (when the primary died)'));
  return out;
}

export function formatSpecRenderings(spec: Spec, sourceName: string): string {
  const base: HostQemu = { dialect: dialectForVersion(GOLDEN_BASE_VERSION), kvmAvailable: false };
  const newer: HostQemu = { dialect: dialectForVersion(GOLDEN_NEW_VERSION), kvmAvailable: false };
  const out: string[] = [
    `# Every rendering of ${sourceName}, pinned by test/unit/render/golden.test.ts.`,
    '# Refresh: npm run golden:update',
    `# QEMU dialect ${formatQemuVersion(GOLDEN_BASE_VERSION)} on every host unless a section says otherwise; ` +
      `KVM available: no (accel auto -> tcg).`,
  ];
  for (const vm of spec.vms) {
    const { sizes, note } = sizesFor(vm);
    const init = initialPlacement(vm);
    const r = renderVm(spec, vm, { qemu: () => base, placement: init, diskSizes: sizes });
    out.push('', `======== vm ${vm.name}: primary ${init.primary}, secondary ${init.secondary} (initial placement)`);
    out.push(...fullSections(r, note, ' (when the secondary died)'));
    out.push(...phaseSections(r.primary.host, r.primary.checkpointUpdate, ' checkpoint policy applied in place'));

    const v = formatQemuVersion(GOLDEN_NEW_VERSION);
    const rn = renderVm(spec, vm, { qemu: () => newer, placement: init, diskSizes: sizes });
    out.push(
      '',
      `======== vm ${vm.name}: QEMU ${v} on the secondary (differs from ` +
        `${formatQemuVersion(GOLDEN_BASE_VERSION)} in reconnect-ms and x-colo)`,
    );
    out.push(`--- ${rn.secondary.host}: secondary argv (${v})\n${formatArgv(rn.secondary.argv)}`);
    out.push(...phaseSections(rn.secondary.host, rn.secondary.prepare, ` (${v})`));

    const swapped = placementAfterFailoverToSecondary(init);
    const rs = renderVm(spec, vm, { qemu: () => base, placement: swapped, diskSizes: sizes });
    out.push(
      '',
      `======== vm ${vm.name}: after failover to the secondary: promoted primary ${swapped.primary}, new ` +
        `secondary ${swapped.secondary}`,
    );
    out.push(...fullSections(rs, note, ' (when the secondary died)'));
  }
  return `${out.join('\n')}\n`;
}
