/**
 * Sizes and durations: the schema checks their spelling; here their values are checked (whole
 * bytes / MiB / milliseconds, greater than zero). Each value is checked where it is written, so a
 * problem in `defaults` is reported once, not once per VM.
 */
import type { RawCheckpoint, RawMachine, RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import { formatBytes, parseDuration, parseSize } from './units.ts';

const MiB = 1024 * 1024;
/** Longest wait a Node timer takes (longer ones fire at once); also within QEMU's uint32 properties. */
const TIMER_MAX_MS = 2 ** 31 - 1;
/** QEMU's migrate downtime-limit is at most 2000 s (MAX_MIGRATE_DOWNTIME in migration/options.c). */
const DOWNTIME_MAX_MS = 2_000_000;
const UINT32_MAX = 2 ** 32 - 1;

/**
 * A bare number below this many milliseconds is far more likely seconds written without a unit
 * ("interval: 2") than what the key means in milliseconds.
 */
const BARE_MS_MIN: Readonly<Record<string, number>> = {
  interval: 10,
  compareTimeout: 10,
  expiredScanCycle: 10,
  timeout: 1000,
};

export function checkUnits(raw: RawSpec, r: Reporter): void {
  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    if (host?.fence?.timeout !== undefined) duration(r, ['hosts', name, 'fence', 'timeout'], host.fence.timeout);
  }
  const d = raw.defaults;
  if (d) {
    machine(r, ['defaults', 'machine'], d.machine);
    checkpoint(r, ['defaults', 'checkpoint'], d.checkpoint);
  }
  for (const [name, vm] of Object.entries(raw.vms ?? {})) {
    if (vm) vmUnits(r, ['vms', name], vm);
  }
}

function vmUnits(r: Reporter, at: SpecPath, vm: RawVm): void {
  machine(r, [...at, 'machine'], vm.machine);
  checkpoint(r, [...at, 'checkpoint'], vm.checkpoint);
  vm.disks?.forEach((disk, i) => {
    if (disk?.size === undefined) return;
    const path = [...at, 'disks', i, 'size'];
    const size = parseSize(disk.size);
    if (!size.ok) r.error(path, `${formatPath(path)}: ${size.error}`);
    else if (size.value <= 0) r.error(path, `${formatPath(path)}: a disk must be larger than 0 bytes`);
    else if (size.value % 512 !== 0)
      r.error(path, `${formatPath(path)}: ${size.value} bytes is not a multiple of 512 (the disk sector size)`);
    else if (typeof disk.size === 'number' && size.value < MiB)
      r.error(path, `${formatPath(path)}: ${bareBytes(disk.size, 'a disk of', '')}`);
  });
}

function machine(r: Reporter, at: SpecPath, m: RawMachine | undefined): void {
  if (m?.memory === undefined) return;
  const path = [...at, 'memory'];
  const size = parseSize(m.memory, MiB);
  if (!size.ok) r.error(path, `${formatPath(path)}: ${size.error}`);
  else if (typeof m.memory === 'number' && m.memory >= MiB) {
    r.error(
      path,
      `${formatPath(path)}: a bare number is MiB, so ${m.memory} is ${formatBytes(size.value)} of RAM; if you ` +
        `meant ${m.memory} bytes write "${withUnit(m.memory)}"`,
    );
  } else if (size.value < MiB) r.error(path, `${formatPath(path)}: guest memory must be at least 1M`);
  else if (size.value % MiB !== 0) r.error(path, `${formatPath(path)}: guest memory must be a whole number of MiB`);
}

function checkpoint(r: Reporter, at: SpecPath, c: RawCheckpoint | undefined): void {
  if (!c) return;
  for (const key of ['interval', 'compareTimeout', 'expiredScanCycle'] as const) {
    const v = c[key];
    if (v !== undefined) duration(r, [...at, key], v);
  }
  if (c.switchoverDowntime !== undefined)
    duration(r, [...at, 'switchoverDowntime'], c.switchoverDowntime, DOWNTIME_MAX_MS, 'QEMU (downtime-limit)');
  if (c.maxQueueSize !== undefined && c.maxQueueSize > UINT32_MAX) {
    const path = [...at, 'maxQueueSize'];
    r.error(path, `${formatPath(path)}: ${c.maxQueueSize} is over ${UINT32_MAX}, the most colo-compare takes`);
  }
  if (c.maxBandwidth !== undefined) {
    const path = [...at, 'maxBandwidth'];
    const size = parseSize(c.maxBandwidth);
    if (!size.ok) r.error(path, `${formatPath(path)}: ${size.error}`);
    else if (size.value <= 0) r.error(path, `${formatPath(path)}: must be greater than 0`);
    else if (typeof c.maxBandwidth === 'number' && size.value < MiB)
      r.error(path, `${formatPath(path)}: ${bareBytes(c.maxBandwidth, 'a bandwidth of', ' per second')}`);
  }
}

/** 536870912 -> "512M"; 1000000 -> "1000000B" (a suffix, so it is not read as MiB again). */
function withUnit(bytes: number): string {
  const s = formatBytes(bytes);
  return /[A-Z]$/.test(s) ? s : `${s}B`;
}

function bareBytes(n: number, what: string, per: string): string {
  return `a bare number is bytes: ${n} is ${what} ${n} bytes${per}; write "${n}M" or "${n}G" if you meant that`;
}

/** A duration longer than 0 and at most `max` ms; a bare number that is surely not milliseconds. */
function duration(r: Reporter, path: SpecPath, value: number | string, max = TIMER_MAX_MS, by = 'colo'): void {
  const where = formatPath(path);
  const ms = parseDuration(value);
  if (!ms.ok) r.error(path, `${where}: ${ms.error}`);
  else if (ms.value <= 0) r.error(path, `${where}: must be longer than 0ms`);
  else if (ms.value > max) r.error(path, `${where}: ${value} is longer than ${max}ms, the most ${by} takes`);
  else if (typeof value === 'number' && value < (BARE_MS_MIN[String(path[path.length - 1])] ?? 0)) {
    r.error(
      path,
      `${where}: a bare number is milliseconds, so ${value} is ${value}ms; write "${value}s" if you meant ` +
        `seconds, or "${value}ms" to keep it`,
    );
  }
}
