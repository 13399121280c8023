/**
 * Sizes and durations: the schema checks their spelling; here their values are checked (whole
 * bytes / MiB / milliseconds, greater than zero). Each value is checked where it is written, so a
 * problem in `defaults` is reported once, not once per VM.
 */
import type { RawCheckpoint, RawMachine, RawSpec, RawVm } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import { parseDuration, parseSize } from './units.ts';

const MiB = 1024 * 1024;

export function checkUnits(raw: RawSpec, r: Reporter): void {
  for (const [name, host] of Object.entries(raw.hosts ?? {})) {
    if (host?.fence?.timeout !== undefined)
      positiveDuration(r, ['hosts', name, 'fence', 'timeout'], host.fence.timeout);
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
  });
}

function machine(r: Reporter, at: SpecPath, m: RawMachine | undefined): void {
  if (m?.memory === undefined) return;
  const path = [...at, 'memory'];
  const size = parseSize(m.memory, MiB);
  if (!size.ok) r.error(path, `${formatPath(path)}: ${size.error}`);
  else if (size.value < MiB) r.error(path, `${formatPath(path)}: guest memory must be at least 1M`);
  else if (size.value % MiB !== 0) r.error(path, `${formatPath(path)}: guest memory must be a whole number of MiB`);
}

function checkpoint(r: Reporter, at: SpecPath, c: RawCheckpoint | undefined): void {
  if (!c) return;
  for (const key of ['interval', 'compareTimeout', 'expiredScanCycle', 'switchoverDowntime'] as const) {
    const v = c[key];
    if (v !== undefined) positiveDuration(r, [...at, key], v);
  }
  if (c.maxBandwidth !== undefined) {
    const path = [...at, 'maxBandwidth'];
    const size = parseSize(c.maxBandwidth);
    if (!size.ok) r.error(path, `${formatPath(path)}: ${size.error}`);
    else if (size.value <= 0) r.error(path, `${formatPath(path)}: must be greater than 0`);
  }
}

function positiveDuration(r: Reporter, path: SpecPath, value: number | string): void {
  const ms = parseDuration(value);
  if (!ms.ok) r.error(path, `${formatPath(path)}: ${ms.error}`);
  else if (ms.value <= 0) r.error(path, `${formatPath(path)}: must be longer than 0ms`);
}
