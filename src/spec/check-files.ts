/**
 * Paths and strings as written: no control characters anywhere, files that do not end in "/", no
 * "." or ".." steps, an identity that is the private key, qemu.binary and qemu.img not swapped, a
 * workDir that is not "/", an image whose extension matches its format, a kernel that is not the
 * initrd. Each value is checked where it is written (defaults once).
 */
import { posix } from 'node:path';
import { mergeDisk } from './defaults-merge.ts';
import type { RawSpec } from './raw-spec.ts';
import type { Reporter } from './reporter.ts';
import type { PathSegment, SpecPath } from './spec-path.ts';
import { formatPath } from './spec-path.ts';
import { DEFAULT_DISK_FORMAT } from './builtin-defaults.ts';

/** Keys whose value is a file (on a host or on the machine colo runs on). */
const FILE_KEYS = new Set([
  'identityFile',
  'binary',
  'img',
  'envFile',
  'kernel',
  'initrd',
  'image',
  'script',
  'downscript',
  'helper',
]);
/** Keys whose value (or items) is a directory. */
const DIR_KEYS = new Set(['workDir', 'secondaryDir', 'firmware']);
/** C0 controls and DEL: a NUL cuts an argv item short, a newline splits a log or script line. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkFiles(raw: RawSpec, r: Reporter): void {
  walkStrings(raw, [], (path, value) => checkString(r, path, value));
  for (const [name, vm] of Object.entries(raw.vms ?? {})) {
    if (!vm) continue;
    vm.disks?.forEach((disk, i) => {
      if (disk?.image === undefined) return;
      const format = mergeDisk(disk, raw.defaults).format ?? DEFAULT_DISK_FORMAT;
      checkImageFormat(r, ['vms', name, 'disks', i, 'image'], disk.image, format);
    });
  }
  for (const at of [['defaults', 'boot'], ...Object.keys(raw.vms ?? {}).map((n) => ['vms', n, 'boot'])]) {
    const boot = at[0] === 'defaults' ? raw.defaults?.boot : raw.vms?.[at[1] as string]?.boot;
    if (boot?.kernel !== undefined && boot.kernel === boot.initrd) {
      const path = [...at, 'initrd'];
      r.error(path, `${formatPath(path)}: ${boot.initrd} is also the kernel; name the initrd (initramfs) image`);
    }
  }
}

function walkStrings(node: unknown, path: PathSegment[], visit: (path: SpecPath, value: string) => void): void {
  if (typeof node === 'string') visit(path, node);
  else if (Array.isArray(node)) node.forEach((item, i) => walkStrings(item, [...path, i], visit));
  else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) walkStrings(v, [...path, k], visit);
}

/** The key a value belongs to: its own, or the list's for a list item (firmware[0] -> firmware). */
function keyOf(path: SpecPath): string {
  const last = path[path.length - 1];
  return typeof last === 'number' ? String(path[path.length - 2]) : String(last);
}

function checkString(r: Reporter, path: SpecPath, value: string): void {
  const where = formatPath(path);
  const control = CONTROL.exec(value);
  if (control) {
    const code = `\\u${control[0].charCodeAt(0).toString(16).padStart(4, '0')}`;
    r.error(path, `${where}: contains the control character ${code}; remove it`);
    return;
  }
  const key = keyOf(path);
  if (!FILE_KEYS.has(key) && !DIR_KEYS.has(key)) return;
  if (!value.startsWith('/') && !value.startsWith('~/')) return; // the schema reports it
  if (FILE_KEYS.has(key) && value.endsWith('/')) {
    r.error(path, `${where}: ${value} ends in "/", which names a directory; write the path of the file`);
    return;
  }
  const head = value.startsWith('~/') ? '~/' : '/';
  const steps = value.slice(head.length).split('/');
  if (steps.some((s) => s === '.' || s === '..')) {
    const plain = head === '/' ? posix.normalize(value) : `~/${posix.normalize(value.slice(2))}`;
    r.error(path, `${where}: ${value} has "." or ".." steps; write the plain path ${plain}`);
    return;
  }
  checkKnownFile(r, path, key, value);
}

function checkKnownFile(r: Reporter, path: SpecPath, key: string, value: string): void {
  const where = formatPath(path);
  const base = posix.basename(value);
  if (key === 'identityFile' && value.endsWith('.pub')) {
    r.error(
      path,
      `${where}: ${value} is a public key; ssh authenticates with the private key: write ${value.slice(0, -4)}`,
    );
  } else if (key === 'binary' && base.startsWith('qemu-img')) {
    r.error(
      path,
      `${where}: ${value} is qemu-img; qemu.binary is the emulator (qemu-system-x86_64), qemu.img is qemu-img`,
    );
  } else if (key === 'img' && base.startsWith('qemu-system')) {
    r.error(path, `${where}: ${value} is the emulator; qemu.img is the qemu-img tool (e.g. /usr/bin/qemu-img)`);
  } else if (key === 'workDir' && posix.normalize(value) === '/') {
    r.error(
      path,
      `${where}: colo creates and removes files in its work directory; give it its own, e.g. /var/lib/colo`,
    );
  }
}

/** An image named .qcow2 opened as raw shows the guest qcow2 metadata; a .raw image as qcow2 fails. */
function checkImageFormat(r: Reporter, path: SpecPath, image: string, format: string): void {
  const ext = posix.extname(image).toLowerCase();
  const implied = ext === '.qcow2' || ext === '.qcow' ? 'qcow2' : ext === '.raw' ? 'raw' : undefined;
  if (implied === undefined || implied === format) return;
  r.error(
    path,
    `${formatPath(path)}: ${image} is named like a ${implied} image but its format is ${format}; set ` +
      `format: ${implied} (or rename the image)`,
  );
}
