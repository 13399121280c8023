// The test environment's cached assets: the patched QEMU and the tiny guest.
// Uses the real cache (${COLO_CACHE:-~/.cache/colo}): the first run on a clean machine builds
// QEMU (minutes); the scripts lock and install atomically, so concurrent runs are safe.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { ensureGuest, ensureLabQemu, packageRoot, parseGuestLine, runAssetScript } from '../../src/lab/assets.ts';

const execFileP = promisify(execFile);

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

function parseStamp(text: string): { values: Map<string, string>; patches: Map<string, string> } {
  const values = new Map<string, string>();
  const patches = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^patch=(\S+) sha256=([0-9a-f]{64})$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      patches.set(m[1], m[2]);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { values, patches };
}

async function sha256(file: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

describe('lab assets', () => {
  test(
    'patched QEMU: built or cached, second run reuses the cache, version 7.2 with exactly our two fixes',
    { timeout: 45 * 60_000 },
    async (t) => {
      const first = await ensureLabQemu();
      assert.match(first.binary, /\/qemu\/[^/]+-[0-9a-f]{16}\/bin\/qemu-system-x86_64$/);
      assert.deepEqual(first.firmwareDirs, ['/usr/share/seabios', '/usr/share/qemu', '/usr/lib/ipxe/qemu']);

      const echo = new Collect();
      const second = await runAssetScript('build-qemu.sh', { echo, defaultTimeoutMs: 60_000 });
      t.diagnostic(`second run: ${second.durationMs} ms`);
      assert.equal(second.code, 0);
      assert.equal(second.lastLine, first.binary, 'second run prints the same path');
      assert.match(echo.text, /reusing cached QEMU/);
      assert.ok(second.durationMs < 5000, `cached run took ${second.durationMs} ms`);

      const dir = path.dirname(path.dirname(first.binary));
      const { values, patches } = parseStamp(await readFile(path.join(dir, 'stamp'), 'utf8'));
      assert.match(
        values.get('qemu_version') ?? '',
        /^QEMU emulator version 7\.2\.\d+ \(Debian 1:7\.2\+dfsg-[^,)]+, colo TCG fixes\)$/,
      );
      const { stdout: installed } = await execFileP('dpkg-query', ['-W', '-f=${source:Version}', 'qemu-system-x86']);
      if (process.env['COLO_QEMU_DEBIAN_VERSION'] === undefined) {
        assert.equal(
          values.get('debian_version'),
          installed,
          "built from the installed qemu-system-x86's source version",
        );
      }
      assert.equal(values.get('tlb_reset_dirty_range_all_symbol'), 'global');
      assert.equal(values.get('virtio_disabled_flag_fix'), 'absent');

      // Exactly our two patches, byte-identical to the ones in scripts/patches.
      const ours = (await readdir(path.join(packageRoot(), 'scripts', 'patches')))
        .filter((f) => f.endsWith('.patch'))
        .sort();
      assert.equal(ours.length, 2);
      assert.deepEqual([...patches.keys()].sort(), ours);
      for (const name of ours) {
        const want = await sha256(path.join(packageRoot(), 'scripts', 'patches', name));
        assert.equal(patches.get(name), want, `${name} in the stamp`);
        assert.equal(await sha256(path.join(dir, 'patches', name)), want, `${name} copied into the cache`);
      }
      const patchText = (await Promise.all(ours.map((n) => readFile(path.join(dir, 'patches', n), 'utf8')))).join('\n');
      assert.match(
        patchText,
        new RegExp(
          [
            /\+\s+qemu_mutex_lock_iothread\(\);/.source,
            /\+?\s+qemu_savevm_live_state\(s->to_dst_file\);/.source,
            /\+\s+qemu_mutex_unlock_iothread\(\);/.source,
          ].join('\\n'),
        ),
      );
      assert.match(patchText, /\+\s+tlb_reset_dirty_range_all\(start \+ rb->offset, length\);/);
      assert.doesNotMatch(
        patchText,
        /hw\/virtio\/virtio\.c/,
        'the virtio disabled-flag fix must not be in the test QEMU',
      );

      // Debian's stable updates are in.
      const debianPatches = (await readFile(path.join(dir, 'debian-patches.txt'), 'utf8')).trim().split('\n');
      assert.ok(debianPatches.includes('v7.2.1.diff'));
      assert.ok(debianPatches.some((p) => /^v7\.2\.\d{2}\.diff$/.test(p)));

      // The binary runs and has what COLO needs.
      const { stdout: version } = await execFileP(first.binary, ['--version']);
      assert.match(version, /^QEMU emulator version 7\.2\./);
      assert.equal(version.split('\n')[0], values.get('qemu_version'));
      const { stdout: objects } = await execFileP(first.binary, ['-object', 'help']);
      for (const o of ['colo-compare', 'filter-mirror', 'filter-redirector', 'filter-rewriter', 'iothread']) {
        assert.match(objects, new RegExp(`^\\s*${o}\\s*$`, 'm'), `-object ${o}`);
      }
      // Finds Debian's firmware without -L (bios-256k.bin, efi-virtio.rom for virtio-net-pci).
      const { stdout: dataDirs } = await execFileP(first.binary, ['-L', 'help']);
      for (const d of first.firmwareDirs) assert.match(dataDirs, new RegExp(`^${d}$`, 'm'), `searches ${d}`);
      const { stdout: devices } = await execFileP(first.binary, ['-device', 'help']);
      assert.match(devices, /"virtio-net-pci"/);
      assert.match(devices, /"virtio-blk-pci"/);
    },
  );

  test(
    'guest: built or cached, second run reuses the cache, initramfs has init, httpd CGI and the modules in order',
    { timeout: 10 * 60_000 },
    async (t) => {
      const first = await ensureGuest();
      assert.equal(first.cmdline, 'console=ttyS0 quiet panic=1');
      assert.match(first.kernel, /\/guest\/[0-9a-f]{16}\/vmlinuz$/);
      assert.equal(path.dirname(first.initrd), path.dirname(first.kernel));

      const echo = new Collect();
      const second = await runAssetScript('build-guest.sh', { echo, defaultTimeoutMs: 60_000 });
      t.diagnostic(`second run: ${second.durationMs} ms`);
      assert.deepEqual(parseGuestLine(second.lastLine), first, 'second run prints the same paths');
      assert.match(echo.text, /reusing cached guest/);
      assert.ok(second.durationMs < 5000, `cached run took ${second.durationMs} ms`);

      const initrd = await readFile(first.initrd);
      assert.equal(initrd[0], 0x1f);
      assert.equal(initrd[1], 0x8b, 'gzip');
      assert.ok(initrd.length < 4 * 1024 * 1024, `initrd is ${initrd.length} bytes`);
      t.diagnostic(`initrd ${initrd.length} bytes`);
      const { stdout: listing } = await execFileP('bash', [
        '-c',
        'gzip -dc "$1" | cpio -it --quiet',
        'list',
        first.initrd,
      ]);
      const files = new Set(listing.split('\n'));
      for (const f of [
        'init',
        'bin/busybox',
        'bin/httpd',
        'www/cgi-bin/index.cgi',
        'www/cgi-bin/status',
        'etc/colo-modules',
        'bin/colo-stream',
      ]) {
        assert.ok(files.has(f), `${f} in the initramfs`);
      }
      const { stdout: order } = await execFileP('bash', [
        '-c',
        'gzip -dc "$1" | cpio -i --quiet --to-stdout etc/colo-modules',
        'x',
        first.initrd,
      ]);
      assert.deepEqual(order.trim().split('\n'), [
        'virtio_ring',
        'virtio',
        'virtio_pci_modern_dev',
        'virtio_pci_legacy_dev',
        'virtio_pci',
        'failover',
        'net_failover',
        'virtio_net',
        'virtio_blk',
      ]);
      for (const m of order.trim().split('\n')) assert.ok(files.has(`lib/modules/${m}.ko`), `${m}.ko`);
    },
  );
});
