/**
 * argv lists: fence.command and extraArgs are passed to execve item by item, never through a shell.
 * A whole command line in one item, shell operators or $VARIABLES do not do what they would in a
 * shell; an extraArgs option that colo itself sets is a conflict, not an override.
 */
import type { RawExtraArgs, RawSpec } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';

/**
 * Options colo writes into every QEMU command line, and the spec key that sets each. QEMU merges a
 * repeated -machine, -m or -smp into colo's, so those conflict only when they set what colo sets
 * (listed keys; the first, unnamed, value is the main one); the others replace colo's or are refused.
 */
const COLO_OPTIONS: Readonly<Record<string, { owner: string; keys?: readonly string[] }>> = {
  '-name': { owner: 'the VM name' },
  '-machine': { owner: 'machine.type and machine.accel', keys: ['type', 'accel'] },
  '-M': { owner: 'machine.type and machine.accel', keys: ['type', 'accel'] },
  '-accel': { owner: 'machine.accel (QEMU refuses -accel beside -machine accel=)' },
  '-enable-kvm': { owner: 'machine.accel: kvm (QEMU refuses -enable-kvm beside -machine accel=)' },
  '-cpu': { owner: 'machine.cpu' },
  '-m': { owner: 'machine.memory', keys: ['size'] },
  '-smp': { owner: 'machine.smp', keys: ['cpus'] },
  '-kernel': { owner: 'boot.kernel' },
  '-initrd': { owner: 'boot.initrd' },
  '-append': { owner: 'boot.append' },
  '-pidfile': { owner: 'colo (the pid file in the work directory)' },
  '-incoming': { owner: 'colo (the secondary waits on the migration port)' },
};

/** Whether an option's value sets one of `keys`, or its unnamed main value (`q35`, `2G`, `4`). */
function setsKeys(value: string | undefined, keys: readonly string[]): boolean {
  if (value === undefined) return true;
  const parts = value.split(',');
  return !(parts[0] ?? '').includes('=') || parts.some((p) => keys.includes(p.split('=')[0] ?? ''));
}

const SHELL_OPERATORS = new Set(['|', '||', '&&', ';', '&', '>', '>>', '<', '2>', '2>&1', '`']);
const SHELLS = /^(\/(usr\/)?bin\/)?(ba|da|z|k)?sh$/;

export function checkArgs(raw: RawSpec, r: Reporter): void {
  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    const command = host?.fence?.command;
    if (command) checkCommand(r, ['hosts', name, 'fence', 'command'], command);
  }
  if (raw.defaults?.extraArgs) checkExtraArgs(r, ['defaults', 'extraArgs'], raw.defaults.extraArgs);
  for (const [name, vm] of Object.entries(raw.vms ?? {})) {
    if (vm?.extraArgs) checkExtraArgs(r, ['vms', name, 'extraArgs'], vm.extraArgs);
  }
}

function listed(items: readonly string[]): string {
  return `[${items.map((s) => (/^[A-Za-z0-9_./=:@%+-]+$/.test(s) ? s : JSON.stringify(s))).join(', ')}]`;
}

function checkCommand(r: Reporter, at: SpecPath, command: readonly (string | undefined)[]): void {
  const first = command[0];
  if (first !== undefined && command.length === 1 && /\s/.test(first.trim())) {
    const path = [...at, 0];
    r.error(
      path,
      `${formatPath(path)}: ${JSON.stringify(first)} is a whole command line in one argv item (the command is ` +
        `not run through a shell); write one item per argument: ${listed(first.trim().split(/\s+/))}`,
    );
    return;
  }
  if (first !== undefined && SHELLS.test(first) && command[1] === '-c') return; // the user asked for a shell
  command.forEach((item, i) => {
    if (item === undefined || i === 0) return;
    const path = [...at, i];
    if (SHELL_OPERATORS.has(item)) {
      r.error(
        path,
        `${formatPath(path)}: ${item} is passed to the command as an argument (there is no shell); to use a ` +
          `shell write [sh, -c, "..."]`,
      );
    } else if (/\$\{?[A-Za-z_][A-Za-z0-9_]*/.test(item)) {
      r.error(
        path,
        `${formatPath(path)}: ${JSON.stringify(item)} is not expanded (there is no shell); pass secrets with ` +
          `fence.envFile, or write [sh, -c, "..."]`,
      );
    }
  });
}

function checkExtraArgs(r: Reporter, at: SpecPath, extra: RawExtraArgs): void {
  for (const side of ['both', 'primary', 'secondary'] as const) {
    const items = extra[side] ?? [];
    items.forEach((item, i) => {
      if (item === undefined) return;
      const path = [...at, side, i];
      const where = formatPath(path);
      if (item.startsWith('-') && /\s/.test(item.trim())) {
        r.error(
          path,
          `${where}: ${JSON.stringify(item)} is one argv item, and QEMU takes no option with a space in it; ` +
            `split it: ${listed(item.trim().split(/\s+/))}`,
        );
        return;
      }
      const option = item.replace(/^--/, '-');
      const colo = COLO_OPTIONS[option];
      if (colo && (!colo.keys || setsKeys(items[i + 1], colo.keys))) {
        r.error(path, `${where}: colo sets ${option} itself, from ${colo.owner}; remove it here`);
      }
    });
  }
}
